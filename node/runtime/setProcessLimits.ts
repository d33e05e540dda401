import { execFile } from 'node:child_process'
import { JobSpawnError } from './errors.ts'

/** Resource limits (setrlimit) for one process; each soft limit, with its hard limit. */
export type ProcessLimits = {
  /** RLIMIT_CPU, seconds: SIGXCPU at the soft limit, SIGKILL at the hard one. */
  cpuSeconds?: { soft: number; hard: number } | undefined
  /** RLIMIT_FSIZE, bytes: the largest file it may write (SIGXFSZ past it). */
  fileBytes?: number | undefined
  /** RLIMIT_DATA, bytes: its writable private memory. */
  dataBytes?: number | undefined
  /** RLIMIT_AS, bytes: its whole address space. */
  addressSpaceBytes?: number | undefined
  /** RLIMIT_NPROC: processes of its real user id. */
  processes?: number | undefined
}

/**
 * The options of `prlimit(1)` that set these limits, soft and hard alike
 * (except CPU, whose hard limit lets SIGXCPU arrive first); core dumps are
 * always off, so a crashing job writes nothing but its own files.
 */
export function prlimitOptions(limits: ProcessLimits): string[] {
  const options = ['--core=0']
  if (limits.cpuSeconds) options.push(`--cpu=${limits.cpuSeconds.soft}:${limits.cpuSeconds.hard}`)
  if (limits.fileBytes !== undefined) options.push(`--fsize=${limits.fileBytes}`)
  if (limits.dataBytes !== undefined) options.push(`--data=${limits.dataBytes}`)
  if (limits.addressSpaceBytes !== undefined) options.push(`--as=${limits.addressSpaceBytes}`)
  if (limits.processes !== undefined) options.push(`--nproc=${limits.processes}`)
  return options
}

/**
 * Sets rlimits on a running process with `prlimit --pid` (Node has no
 * setrlimit of its own). Used on a spare process at the moment it is given a job.
 *
 * @throws JobSpawnError when prlimit is missing or refuses.
 */
export async function setProcessLimits(pid: number, limits: ProcessLimits, { signal }: { signal?: AbortSignal | undefined } = {}): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    execFile('prlimit', ['--pid', String(pid), ...prlimitOptions(limits)], { signal, env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } }, (error, _stdout, stderr) => {
      if (error) reject(new JobSpawnError({ command: `prlimit --pid ${pid}`, cause: stderr.trim() ? new Error(stderr.trim()) : error }))
      else resolve()
    })
  })
}
