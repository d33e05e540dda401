import { readdir, readFile } from 'node:fs/promises'

// Linux /proc readers for watching a job's processes. Every reader tolerates a
// process that exits while it is being read: it is simply not counted.

/** Clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on Linux for every architecture in use). */
export const USER_HZ = 100

/** Fields of /proc/<pid>/stat after the command name (field 3 onwards). */
async function statFields(pid: number): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8')
    // The command name is in parentheses and may itself hold spaces or parentheses.
    return text.slice(text.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/**
 * CPU time a process has used so far (user + system), seconds.
 *
 * @returns `undefined` when the process is gone.
 */
export async function processCpuSeconds(pid: number): Promise<number | undefined> {
  const fields = await statFields(pid)
  if (!fields) return undefined
  // utime and stime are fields 14 and 15 of the whole line, 11 and 12 after the name.
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ
}

/**
 * The parent of a process.
 *
 * @returns `undefined` when the process is gone.
 */
export async function parentPid(pid: number): Promise<number | undefined> {
  const fields = await statFields(pid)
  return fields ? Number(fields[1]) : undefined
}

/**
 * A process and all its descendants, found through each process's parent id.
 *
 * @returns Their pids, `root` first; empty when `root` is gone.
 */
export async function processTree(root: number): Promise<number[]> {
  let names: string[]
  try {
    names = await readdir('/proc')
  } catch {
    return []
  }
  const children = new Map<number, number[]>()
  await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const fields = await statFields(Number(name))
        if (!fields) return
        const parent = Number(fields[1])
        children.set(parent, [...(children.get(parent) ?? []), Number(name)])
      }),
  )
  const tree: number[] = []
  const stack = [root]
  while (stack.length > 0) {
    const pid = stack.pop()!
    tree.push(pid)
    stack.push(...(children.get(pid) ?? []))
  }
  return (await statFields(root)) ? tree : []
}

/**
 * The peak virtual size of a process (VmPeak), bytes: the high-water mark the
 * kernel keeps, so a brief spike between two samples is still seen.
 *
 * @returns `undefined` when the process is gone or has no memory map.
 */
export async function processPeakBytes(pid: number): Promise<number | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/status`, 'utf8')
    const kib = /^VmPeak:\s+(\d+) kB/m.exec(text)?.[1]
    return kib === undefined ? undefined : Number(kib) * 1024
  } catch {
    return undefined
  }
}

/** What {@link sampleTasks} measures of a set of processes. */
export type TaskSample = {
  /** Threads of all of them together: what RLIMIT_NPROC counts. */
  tasks: number
  /** The largest VmPeak among them, bytes. */
  peakBytes: number
}

/**
 * Counts the threads of some processes and finds their largest memory peak.
 *
 * @param pids - Processes (gone ones count as nothing).
 */
export async function sampleTasks(pids: readonly number[]): Promise<TaskSample> {
  const samples = await Promise.all(
    pids.map(async (pid) => {
      try {
        const text = await readFile(`/proc/${pid}/status`, 'utf8')
        const threads = Number(/^Threads:\s+(\d+)/m.exec(text)?.[1] ?? 0)
        const peak = Number(/^VmPeak:\s+(\d+) kB/m.exec(text)?.[1] ?? 0) * 1024
        return { threads, peak }
      } catch {
        return { threads: 0, peak: 0 }
      }
    }),
  )
  return { tasks: samples.reduce((sum, s) => sum + s.threads, 0), peakBytes: Math.max(0, ...samples.map((s) => s.peak)) }
}

/**
 * Threads owned by a user id across the machine (what RLIMIT_NPROC counts for it).
 */
export async function userTaskCount(uid: number): Promise<number> {
  const names = await readdir('/proc').catch(() => [] as string[])
  const counts = await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        try {
          const text = await readFile(`/proc/${name}/status`, 'utf8')
          const real = Number(/^Uid:\s+(\d+)/m.exec(text)?.[1])
          return real === uid ? Number(/^Threads:\s+(\d+)/m.exec(text)?.[1] ?? 1) : 0
        } catch {
          return 0
        }
      }),
  )
  return counts.reduce((sum, n) => sum + n, 0)
}

/**
 * Pids of the live processes whose real user id is `uid`. Zombies are left
 * out: they hold nothing but a pid, and only their parent (often the host's
 * init, once bubblewrap has exited) can make them go.
 */
export async function userProcesses(uid: number): Promise<number[]> {
  const names = await readdir('/proc').catch(() => [] as string[])
  const owned = await Promise.all(
    names
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const text = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '')
        if (/^State:\s+Z/m.test(text)) return undefined
        return Number(/^Uid:\s+(\d+)/m.exec(text)?.[1]) === uid ? Number(name) : undefined
      }),
  )
  return owned.filter((pid): pid is number => pid !== undefined)
}

/**
 * Kills every process of a user id and waits until none is left. Only for a
 * uid that belongs to one sandbox: its processes are that job's, and the uid
 * must own nothing before it is handed to the next job.
 *
 * @returns Whether none was left within `timeoutMs`.
 */
export async function killUserProcesses(uid: number, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const pids = await userProcesses(uid)
    if (pids.length === 0) return true
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL')
      } catch {
        // Already gone.
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return (await userProcesses(uid)).length === 0
}
