import { constants } from 'node:os'
import type { JobLimits } from '../../protocol/job/jobManifestSchema.ts'
import { type JobFailure, JobFailureName, jobFailure } from './jobFailure.ts'

// Exit statuses follow the shell's convention, so that a result reads the same
// whichever runtime produced it.

/** Reported for a job the runtime refused before it ran ("cannot execute"). */
export const REFUSED_EXIT_CODE = 126
/** Reported for a wasm module that trapped (as for an abort). */
export const TRAPPED_EXIT_CODE = 134
/** Reported for a job the runtime killed (128 + SIGKILL). */
export const KILLED_EXIT_CODE = 137

/**
 * The exit status of a process that ended by a signal: 128 + its number.
 *
 * @param signal - e.g. `SIGXCPU`.
 */
export function signalExitCode(signal: NodeJS.Signals | null): number {
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0)
}

/**
 * The failure an exit status reports when it is the kernel enforcing an rlimit:
 * SIGXCPU (RLIMIT_CPU) or SIGXFSZ (RLIMIT_FSIZE).
 *
 * @returns The failure, or `undefined` for any other status.
 */
export function rlimitFailure(exitCode: number, limits: JobLimits): JobFailure | undefined {
  if (exitCode === signalExitCode('SIGXCPU'))
    return jobFailure(JobFailureName.CpuTimeLimitExceeded, `a process used more than limits.cpuSeconds (${limits.cpuSeconds} s) of CPU`)
  if (exitCode === signalExitCode('SIGXFSZ'))
    return jobFailure(JobFailureName.OutputLimitExceeded, `wrote a file larger than limits.outputMiB (${limits.outputMiB} MiB)`)
  return undefined
}
