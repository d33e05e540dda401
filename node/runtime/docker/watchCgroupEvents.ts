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

// Shared flags between the runtime and its poller thread: stop, then per event whether it was seen and read.
const STOP = 0
const SEEN = { forks: 1, oom: 2 } as const
const READ = { forks: 3, oom: 4 } as const

// The poller, as a script: a worker runs it, so it cannot import the runtime's modules (or the bundle's
// helpers). It reads each file's counter (`max` in pids.events, `oom_kill` in memory.events and v1's
// memory.oom_control, as jobCgroup's readCgroupCounter does), sleeps on the shared flags between reads so
// that `stop` wakes it at once, and takes files added later off its port.
const poller = `
const { workerData, parentPort, receiveMessageOnPort } = require('node:worker_threads')
const { readFileSync } = require('node:fs')
const { files, port, flags: buffer, everyMs, fastMs } = workerData
const flags = new Int32Array(buffer)
const counters = { forks: /^max (\\d+)$/m, oom: /^oom_kill (\\d+)$/m }
const seen = ${JSON.stringify(SEEN)}
const read = ${JSON.stringify(READ)}
const watched = new Map(files)
const begun = Date.now()
const counted = (file, event) => {
  let text
  try { text = readFileSync(file, 'utf8') } catch { return false }
  Atomics.store(flags, read[event], 1)
  const match = counters[event].exec(text)
  return match !== null && Number(match[1]) > 0
}
parentPort.postMessage('ready')
for (;;) {
  for (let message; (message = receiveMessageOnPort(port)); ) for (const [file, event] of message.message) watched.set(file, event)
  for (const [file, event] of watched) {
    if (Atomics.load(flags, seen[event]) === 1) watched.delete(file)
    else if (counted(file, event)) {
      Atomics.store(flags, seen[event], 1)
      parentPort.postMessage(event)
    }
  }
  if (Atomics.load(flags, ${STOP}) === 1) break
  Atomics.wait(flags, ${STOP}, 0, Date.now() - begun < fastMs ? 1 : everyMs)
}
port.close()
`

const entries = (files: CgroupEventFiles) => events.flatMap((event) => (files[event] ? [[files[event], event] as const] : []))

/**
 * Watches a container's cgroup for refused forks and OOM kills, from before its start until `stop`: at the
 * predicted files, and at any file `add` names. The engine removes the cgroup the moment the container
 * exits, so a bomb that hits the limit and ends within milliseconds must be read within them. The reads run
 * on a thread of their own, every millisecond for the first `fastMs` and every `everyMs` after: on the
 * node's event loop, a busy provider (gossip, chain, other jobs) read too late, and such a job then reported
 * only its exit code. Calls `onEvent` once per event. Resolves once the thread is reading.
 */
export async function watchCgroupEvents(
  files: CgroupEventFiles,
  onEvent: (event: CgroupEvent) => void,
  { everyMs = 5, fastMs = 2_000 } = {},
): Promise<CgroupEventsWatch> {
  const flags = new Int32Array(new SharedArrayBuffer(5 * Int32Array.BYTES_PER_ELEMENT))
  const { port1, port2 } = new MessageChannel()
  const worker = new Worker(poller, {
    eval: true,
    workerData: { files: entries(files), port: port2, flags: flags.buffer, everyMs, fastMs },
    transferList: [port2],
    // Plain JavaScript: none of this process's loaders (a test's TypeScript hooks) need to start with it.
    execArgv: [],
    // A few MiB suffice for a loop that reads small files.
    resourceLimits: { maxOldGenerationSizeMb: 8, maxYoungGenerationSizeMb: 2 },
  })
  const reported = new Set<CgroupEvent>()
  const report = (event: CgroupEvent) => {
    if (reported.has(event)) return
    reported.add(event)
    onEvent(event)
  }
  const seen = (event: CgroupEvent) => Atomics.load(flags, SEEN[event]) === 1
  // A thread that fails (it cannot start here) ends, and leaves the counts unknown, as unreadable files do.
  worker.on('error', () => {})
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()))
  await new Promise<void>((resolve) => {
    worker.on('message', (message: 'ready' | CgroupEvent) => (message === 'ready' ? resolve() : report(message)))
    void exited.then(resolve)
  })
  return {
    reading: (event) => Atomics.load(flags, READ[event]) === 1,
    seen,
    add: (more) => port1.postMessage(entries(more)),
    stop: async () => {
      Atomics.store(flags, STOP, 1)
      Atomics.notify(flags, STOP)
      await exited
      port1.close()
      for (const event of events) if (seen(event)) report(event)
    },
  }
}
