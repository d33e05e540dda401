import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { MessageChannel, Worker } from 'node:worker_threads'
import { isCgroupV2, parseCgroupPaths } from '../process/jobCgroup.ts'

/** How an engine lays out its containers' cgroups: `docker info`'s `CgroupDriver` and `CgroupVersion`. */
export type CgroupLayout = { driver: string; version: string }

/**
 * What the kernel did to a container that the engine may not tell: `forks` refused at its process limit
 * (the engine says nothing), and processes `oom`-killed at its memory limit (the engine's `OOMKilled` can
 * be read before it has heard of the kill).
 */
export type CgroupEvent = 'forks' | 'oom'
const events: CgroupEvent[] = ['forks', 'oom']

export type CgroupEventFiles = Partial<Record<CgroupEvent, string>>

export type CgroupEventsWatch = {
  /** Whether that event's file was read at least once (where none ever was, its count is unknown). */
  reading: (event: CgroupEvent) => boolean
  /** Whether that event was read. */
  seen: (event: CgroupEvent) => boolean
  /** Reads these files too (the ones a running container's own pid names: an engine with a custom cgroup parent puts them elsewhere). */
  add: (files: CgroupEventFiles) => void
  /** Ends the watch; an event read and not yet reported is reported before this resolves. */
  stop: () => Promise<void>
}

/**
 * Where the engine will put a container's event files, known once the container is created and before it
 * starts. A bomb can fill its limit, make its shell fail to fork, and end within milliseconds of the start;
 * the engine then removes the cgroup before `inspect` names the container's pid, so the watch must already
 * be reading by then.
 */
export function predictedCgroupEventFiles(containerId: string, { driver, version }: CgroupLayout, root = '/sys/fs/cgroup'): Record<CgroupEvent, string> {
  const dir = driver === 'systemd' ? join('system.slice', `docker-${containerId}.scope`) : join('docker', containerId)
  if (version === '2') return { forks: join(root, dir, 'pids.events'), oom: join(root, dir, 'memory.events') }
  return { forks: join(root, 'pids', dir, 'pids.events'), oom: join(root, 'memory', dir, 'memory.oom_control') }
}

/** The event files of a running process's cgroup (v1 or v2), those this process can see. */
export async function cgroupEventFilesOf(pid: number, root = '/sys/fs/cgroup'): Promise<CgroupEventFiles> {
  const paths = parseCgroupPaths(await readFile(`/proc/${pid}/cgroup`, 'utf8').catch(() => ''))
  if (isCgroupV2(root)) {
    const path = paths['']
    return path ? { forks: join(root, path, 'pids.events'), oom: join(root, path, 'memory.events') } : {}
  }
  return {
    ...(paths.pids && { forks: join(root, 'pids', paths.pids, 'pids.events') }),
    ...(paths.memory && { oom: join(root, 'memory', paths.memory, 'memory.oom_control') }),
  }
}

// Each watch's flags, shared with the poller thread: stop, per event whether it was seen and whether its
// file was read, and done (the poller's last read after the stop).
const STOP = 0
const SEEN = { forks: 1, oom: 2 } as const
const READ = { forks: 3, oom: 4 } as const
const DONE = 5
// The poller's own flags: closed, and a generation the runtime bumps to wake it (a new watch, a stop).
const CLOSED = 0
const GENERATION = 1

// The poller, as a script: a worker runs it, so it cannot import the runtime's modules (or the bundle's
// helpers). Each pass takes new watches and files off its port, reads each watch's files (the counter is
// `max` in pids.events and `oom_kill` in memory.events and v1's memory.oom_control, as jobCgroup's
// cgroupCounter reads it), and ends stopped watches after one last read. Between passes it sleeps on
// the generation, 1 ms while any watch is younger than `fastMs`, `everyMs` otherwise, and until woken when
// it has none. The generation is read before the port, so a watch posted during a pass is never slept through.
const poller = `
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads')
const { readFileSync } = require('node:fs')
const { port, wake: wakeBuffer, everyMs, fastMs } = workerData
const wake = new Int32Array(wakeBuffer)
const counters = { forks: /^max (\\d+)$/m, oom: /^oom_kill (\\d+)$/m }
const seen = ${JSON.stringify(SEEN)}
const read = ${JSON.stringify(READ)}
const watches = new Map()
const counted = (flags, file, event) => {
  let text
  try { text = readFileSync(file, 'utf8') } catch { return false }
  Atomics.store(flags, read[event], 1)
  const match = counters[event].exec(text)
  return match !== null && Number(match[1]) > 0
}
parentPort.postMessage('ready')
while (Atomics.load(wake, ${CLOSED}) === 0) {
  const generation = Atomics.load(wake, ${GENERATION})
  for (let received; (received = receiveMessageOnPort(port)); ) {
    const { id, flags, files } = received.message
    const watch = watches.get(id) ?? { flags: new Int32Array(flags), files: new Map(), begun: Date.now() }
    for (const [file, event] of files) watch.files.set(file, event)
    watches.set(id, watch)
  }
  let fast = false
  for (const [id, { flags, files, begun }] of watches) {
    const stopping = Atomics.load(flags, ${STOP}) === 1
    for (const [file, event] of files) {
      if (Atomics.load(flags, seen[event]) === 1) files.delete(file)
      else if (counted(flags, file, event)) {
        Atomics.store(flags, seen[event], 1)
        parentPort.postMessage({ id, event })
      }
    }
    if (stopping) {
      watches.delete(id)
      Atomics.store(flags, ${DONE}, 1)
      Atomics.notify(flags, ${DONE})
    } else if (Date.now() - begun < fastMs) fast = true
  }
  Atomics.wait(wake, ${GENERATION}, generation, watches.size === 0 ? Infinity : fast ? 1 : everyMs)
}
port.close()
`

const entries = (files: CgroupEventFiles) => events.flatMap((event) => (files[event] ? [[files[event], event] as const] : []))

/** One thread that reads the cgroup events of every container a runtime runs. */
export type CgroupEventsPoller = {
  /**
   * Watches a container's cgroup for refused forks and OOM kills, from now until the watch's `stop`: at
   * these files, and at any file its `add` names. Calls `onEvent` once per event.
   */
  watch: (files: CgroupEventFiles, onEvent: (event: CgroupEvent) => void) => CgroupEventsWatch
  /** Ends the thread; watches still open read nothing more. */
  close: () => Promise<void>
}

// Node 20 has Atomics.waitAsync; the project's ES2023 types do not.
type WaitAsync = (array: Int32Array, index: number, value: number, timeoutMs: number) => { async: boolean; value: Promise<string> | string }
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync

/**
 * Starts the thread that reads containers' cgroup events. The engine removes a container's cgroup the
 * moment it exits, so a bomb that hits its limit and ends within milliseconds must be read within them:
 * on the node's event loop, a busy provider (gossip, chain, other jobs) read too late, and such a job then
 * reported only its exit code. One thread for the runtime, started with it, so that a job's start waits
 * for no thread of its own. Resolves once the thread is reading; where it cannot start, its watches read
 * nothing (their counts unknown, as where the files cannot be read).
 */
export async function startCgroupEventsPoller({ everyMs = 5, fastMs = 2_000 } = {}): Promise<CgroupEventsPoller> {
  const wake = new Int32Array(new SharedArrayBuffer(2 * Int32Array.BYTES_PER_ELEMENT))
  const { port1, port2 } = new MessageChannel()
  const worker = new Worker(poller, {
    eval: true,
    workerData: { port: port2, wake: wake.buffer, everyMs, fastMs },
    transferList: [port2],
    // Plain JavaScript: none of this process's loaders (a test's TypeScript hooks) need to start with it.
    execArgv: [],
    // A few MiB suffice for a loop that reads small files.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  })
  let alive = true
  const reporters = new Map<number, (event: CgroupEvent) => void>()
  worker.on('error', () => {})
  const exited = new Promise<void>((resolve) =>
    worker.once('exit', () => {
      alive = false
      resolve()
    }),
  )
  await new Promise<void>((resolve) => {
    worker.on('message', (message: 'ready' | { id: number; event: CgroupEvent }) => (message === 'ready' ? resolve() : reporters.get(message.id)?.(message.event)))
    void exited.then(resolve)
  })
  const poke = () => {
    Atomics.add(wake, GENERATION, 1)
    Atomics.notify(wake, GENERATION)
  }
  let nextId = 0

  return {
    watch: (files, onEvent) => {
      const id = nextId++
      const flags = new Int32Array(new SharedArrayBuffer(6 * Int32Array.BYTES_PER_ELEMENT))
      const reported = new Set<CgroupEvent>()
      const report = (event: CgroupEvent) => {
        if (reported.has(event)) return
        reported.add(event)
        onEvent(event)
      }
      const seen = (event: CgroupEvent) => Atomics.load(flags, SEEN[event]) === 1
      const post = (more: CgroupEventFiles) => {
        if (!alive) return
        port1.postMessage({ id, flags: flags.buffer, files: entries(more) })
        poke()
      }
      reporters.set(id, report)
      post(files)
      return {
        reading: (event) => Atomics.load(flags, READ[event]) === 1,
        seen,
        add: post,
        stop: async () => {
          Atomics.store(flags, STOP, 1)
          if (alive) {
            poke()
            // The thread reads once more, then says so (a second at most: a thread that died says nothing).
            const waited = waitAsync(flags, DONE, 0, 1_000)
            if (waited.async) await waited.value
          }
          reporters.delete(id)
          for (const event of events) if (seen(event)) report(event)
        },
      }
    },
    close: async () => {
      Atomics.store(wake, CLOSED, 1)
      poke()
      await exited
      port1.close()
    },
  }
}
