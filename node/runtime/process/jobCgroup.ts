import { existsSync } from 'node:fs'
import { mkdir, readFile, rmdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'

/** The limits a job's cgroup holds its whole process tree to. */
export type JobCgroupLimits = {
  memoryBytes: number
  /** CPU quota: 1000 is one core. */
  cpuMillicores: number
  /** Processes and threads, the sandbox's own included. */
  pids: number
}

/** One job's cgroup(s): v2 one folder, v1 one folder per controller. */
export type JobCgroup = {
  version: 1 | 2
  /**
   * The files the job's first process writes `0` to (itself) before it starts the job: v1's `tasks`, whose
   * write of the writer's own thread skips the kernel's global migration lock (an RCU grace period, ~10 ms a
   * job on `cgroup.procs`; the process is single-threaded then, so the whole of it moves); v2's `cgroup.procs`.
   */
  joinFiles: string[]
  /** The limit the tree ran into, if any (the kernel's own counters). */
  breach: () => Promise<JobFailure | undefined>
  /** Peak memory of the whole tree, bytes, where the kernel keeps it. */
  peakBytes: () => Promise<number | undefined>
  /**
   * The live processes in the cgroup: the job's whole tree, read from one file
   * (no process can leave the cgroup: moving needs write access to a cgroup's
   * `cgroup.procs`, which root alone has).
   */
  pids: () => Promise<number[]>
  /**
   * Kills every process left in the cgroup until none is, then removes it.
   *
   * @returns Whether it is gone: then no process of the job is left anywhere.
   */
  remove: () => Promise<boolean>
}

export type CreateJobCgroupParameters = {
  jobId: string
  limits: JobCgroupLimits
  /** Where cgroup file systems are mounted. Default `/sys/fs/cgroup`. */
  root?: string | undefined
  /** This process's cgroups (the text of /proc/self/cgroup); jobs nest under them on v1. */
  self?: string | undefined
}

const V1_CONTROLLERS = ['memory', 'cpu', 'pids'] as const
const CPU_PERIOD_US = 100_000

/**
 * Makes a cgroup for one process job with a memory limit (no swap), a CPU quota
 * and a pids limit for its whole process tree: cgroup v2 where the host has
 * the unified hierarchy alone, else v1's memory, cpu and pids controllers,
 * nested under this provider's own cgroups.
 *
 * @returns The cgroup, or `undefined` where the kernel offers none this process may use (rlimits then stand alone).
 * @example
 * const cgroup = await createJobCgroup({ jobId, limits: { memoryBytes: 256 * 2 ** 20, cpuMillicores: 1000, pids: 18 } })
 */
export async function createJobCgroup({ jobId, limits, root = '/sys/fs/cgroup', self }: CreateJobCgroupParameters): Promise<JobCgroup | undefined> {
  const name = `allot-${jobId.replace(/[^A-Za-z0-9_-]/g, '').slice(0, 80)}`
  const own = parseCgroupPaths(self ?? (await readFile('/proc/self/cgroup', 'utf8').catch(() => '')))
  const made: string[] = []
  const pids = async () => (made[0] ? readPids(join(made[0], 'cgroup.procs')) : [])
  const remove = async () => {
    const gone = await removeWhenEmpty(made, pids)
    made.splice(0)
    return gone
  }
  try {
    if (isCgroupV2(root)) {
      // v2: jobs go under one `allot` cgroup beside the provider's, the only place controllers can be delegated to without moving the provider.
      const parent = join(root, 'allot')
      await writeFile(join(root, 'cgroup.subtree_control'), '+memory +cpu +pids')
      await mkdir(parent, { recursive: true })
      await writeFile(join(parent, 'cgroup.subtree_control'), '+memory +cpu +pids')
      const dir = join(parent, name)
      await mkdir(dir)
      made.push(dir)
      await writeFile(join(dir, 'memory.max'), String(limits.memoryBytes))
      await writeFile(join(dir, 'memory.swap.max'), '0').catch(() => {})
      await writeFile(join(dir, 'cpu.max'), `${Math.max(1000, Math.round((limits.cpuMillicores * CPU_PERIOD_US) / 1000))} ${CPU_PERIOD_US}`)
      await writeFile(join(dir, 'pids.max'), String(limits.pids))
      return {
        version: 2,
        joinFiles: [join(dir, 'cgroup.procs')],
        breach: async () => judge(await cgroupCounter(join(dir, 'memory.events'), 'oom_kill'), await cgroupCounter(join(dir, 'pids.events'), 'max'), limits),
        peakBytes: async () => numberIn(join(dir, 'memory.peak')),
        pids,
        remove,
      }
    }
    if (!existsSync(join(root, 'memory', 'memory.limit_in_bytes')) && !existsSync(join(root, 'memory', own.memory ?? '', 'memory.limit_in_bytes'))) return undefined
    const dirs = {} as Record<(typeof V1_CONTROLLERS)[number], string>
    for (const controller of V1_CONTROLLERS) {
      const dir = join(root, controller, own[controller] ?? '/', name)
      await mkdir(dir)
      made.push(dir)
      dirs[controller] = dir
    }
    await writeFile(join(dirs.memory, 'memory.limit_in_bytes'), String(limits.memoryBytes))
    // Without swap accounting the file is missing; the limit above then holds for memory alone.
    await writeFile(join(dirs.memory, 'memory.memsw.limit_in_bytes'), String(limits.memoryBytes)).catch(() => {})
    await writeFile(join(dirs.cpu, 'cpu.cfs_period_us'), String(CPU_PERIOD_US))
    await writeFile(join(dirs.cpu, 'cpu.cfs_quota_us'), String(Math.max(1000, Math.round((limits.cpuMillicores * CPU_PERIOD_US) / 1000))))
    await writeFile(join(dirs.pids, 'pids.max'), String(limits.pids))
    return {
      version: 1,
      joinFiles: V1_CONTROLLERS.map((controller) => join(dirs[controller], 'tasks')),
      breach: async () => judge(await cgroupCounter(join(dirs.memory, 'memory.oom_control'), 'oom_kill'), await cgroupCounter(join(dirs.pids, 'pids.events'), 'max'), limits),
      peakBytes: async () => numberIn(join(dirs.memory, 'memory.max_usage_in_bytes')),
      pids,
      remove,
    }
  } catch {
    await remove()
    return undefined
  }
}

function judge(oomKills: number, pidsRefused: number, limits: JobCgroupLimits): JobFailure | undefined {
  if (oomKills > 0) return jobFailure(JobFailureName.MemoryLimitExceeded, `its processes together needed more than limits.memoryMiB (${limits.memoryBytes / 2 ** 20} MiB)`)
  if (pidsRefused > 0) return jobFailure(JobFailureName.ProcessLimitExceeded, `tried to run more than limits.processes processes and threads at once`)
  return undefined
}

/** Whether the kernel's cgroups under `root` are v2 (one unified tree) rather than v1 (a tree per controller). */
export function isCgroupV2(root = '/sys/fs/cgroup'): boolean {
  return existsSync(join(root, 'cgroup.controllers'))
}

/** A process's cgroup per controller, from the text of `/proc/<pid>/cgroup` (v2's single hierarchy under the key `''`). */
export function parseCgroupPaths(text: string): Partial<Record<string, string>> {
  const paths: Partial<Record<string, string>> = {}
  for (const line of text.split('\n')) {
    const [, controllers, path] = line.split(':')
    if (controllers && path) for (const controller of controllers.split(',')) paths[controller] = path
  }
  return paths
}

/** A counter of a cgroup events file (`pids.events`, `memory.events`); 0 where it cannot be read. */
export async function cgroupCounter(path: string, key: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '')
  const match = new RegExp(`^${key} (\\d+)$`, 'm').exec(text)
  return match ? Number(match[1]) : 0
}

async function numberIn(path: string): Promise<number | undefined> {
  const value = Number((await readFile(path, 'utf8').catch(() => '')).trim())
  return Number.isFinite(value) && value > 0 ? value : undefined
}

async function readPids(procs: string): Promise<number[]> {
  return (await readFile(procs, 'utf8').catch(() => '')).split('\n').filter(Boolean).map(Number)
}

// A cgroup can be removed only once the last of its processes has been reaped:
// each try kills what is left (a process forked since the last try included),
// then removes the folders; the waits between tries grow from 1 ms, since a
// tree that ended by itself is usually gone at the first or second try.
async function removeWhenEmpty(dirs: readonly string[], pids: () => Promise<number[]>): Promise<boolean> {
  const left = [...dirs].reverse()
  for (let attempt = 0, waitMs = 1; attempt < 500; attempt++, waitMs = Math.min(10, waitMs * 2)) {
    for (const pid of await pids()) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Gone already.
      }
    }
    while (left.length > 0) {
      try {
        await rmdir(left[0]!)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') break
      }
      left.shift()
    }
    if (left.length === 0) return true
    await new Promise((resolve) => setTimeout(resolve, waitMs))
  }
  return false
}
