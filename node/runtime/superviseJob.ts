import type { JobLimits } from '../../protocol/job/jobManifestSchema.ts'
import { folderBytes } from './walkFolder.ts'
import { type JobFailure, JobFailureName, jobFailure } from './jobFailure.ts'

export type SuperviseJobParameters = {
  limits: JobLimits
  /** The run's folder, whose growth counts against the output cap. */
  workDir: string
  /** Its size before the job started. */
  baseBytes: number
  /** Stops the job; called once, with the first failure. */
  kill: (failure: JobFailure) => void
  /** How often to measure the folder (and run `check`), ms. */
  pollMs: number
  /** Extra measurements each poll (process count, memory); a failure it returns stops the job. */
  check?: (() => Promise<JobFailure | undefined>) | undefined
  signal?: AbortSignal | undefined
}

/** A running job's watcher: see {@link superviseJob}. */
export type JobSupervisor = {
  /** Stops the job for this reason, unless it was already stopped for another. */
  fail: (failure: JobFailure) => void
  /** The first reason the job was stopped, if any. */
  readonly failure: JobFailure | undefined
  /** Stops watching (the job has ended); measures the folder one last time. Calling it again does nothing. */
  finish: () => Promise<void>
}

/**
 * Watches a running job for the limits every runtime enforces the same way:
 * the wall clock, the size of what it writes to its folder, and the caller's
 * abort signal; plus whatever `check` measures. The first breach kills the job
 * and is the failure reported.
 *
 * @example
 * const supervisor = superviseJob({ limits, workDir, baseBytes, pollMs: 200, kill: () => child.kill('SIGKILL') })
 */
export function superviseJob(parameters: SuperviseJobParameters): JobSupervisor {
  const { limits, workDir, baseBytes, kill, pollMs, check, signal } = parameters
  const capBytes = limits.outputMiB * 2 ** 20
  let failure: JobFailure | undefined
  let polling = false
  let finished = false
  const fail = (reason: JobFailure) => {
    if (failure) return
    failure = reason
    kill(reason)
  }
  const measure = async () => {
    const written = (await folderBytes(workDir).catch(() => baseBytes)) - baseBytes
    if (written > capBytes)
      fail(jobFailure(JobFailureName.OutputLimitExceeded, `wrote ${written} bytes of files, more than limits.outputMiB (${limits.outputMiB} MiB)`))
  }
  const poll = async () => {
    if (polling || failure) return
    polling = true
    try {
      await measure()
      const found = await check?.()
      if (found) fail(found)
    } finally {
      polling = false
    }
  }
  const wall = setTimeout(
    () => fail(jobFailure(JobFailureName.WallTimeLimitExceeded, `ran longer than limits.wallSeconds (${limits.wallSeconds} s)`)),
    limits.wallSeconds * 1000,
  )
  const interval = setInterval(() => void poll(), pollMs)
  const onAbort = () => fail(jobFailure(JobFailureName.Aborted, `aborted by the provider: ${String(signal?.reason ?? 'no reason given')}`))
  if (signal?.aborted) onAbort()
  else signal?.addEventListener('abort', onAbort, { once: true })
  return {
    fail,
    get failure() {
      return failure
    },
    async finish() {
      if (finished) return
      finished = true
      clearTimeout(wall)
      clearInterval(interval)
      signal?.removeEventListener('abort', onAbort)
      // A job that wrote past the cap just before it ended is caught here.
      if (!failure) await measure()
    },
  }
}
