/** Why a runtime stopped or refused a job. Names are part of the API; compare by name. */
export const JobFailureName = {
  /** Ran past `limits.wallSeconds`. */
  WallTimeLimitExceeded: 'WallTimeLimitExceeded',
  /** Used more than `limits.cpuSeconds` of CPU (RLIMIT_CPU). */
  CpuTimeLimitExceeded: 'CpuTimeLimitExceeded',
  /** Needed more than `limits.memoryMiB`. */
  MemoryLimitExceeded: 'MemoryLimitExceeded',
  /** Wrote more than `limits.outputMiB` to stdout/stderr or to files. */
  OutputLimitExceeded: 'OutputLimitExceeded',
  /** Reached `limits.processes` processes. */
  ProcessLimitExceeded: 'ProcessLimitExceeded',
  /** Tried to open a network socket. */
  NetworkDenied: 'NetworkDenied',
  /** The provider aborted the run. */
  Aborted: 'Aborted',
  /** The WebAssembly module trapped (unreachable, out-of-bounds access, stack overflow, …). */
  Trapped: 'Trapped',
  /** The job's process ended by a signal the runtime did not send. */
  Crashed: 'Crashed',
  /** The entry is not a valid module or program for this runtime. */
  InvalidEntry: 'InvalidEntry',
  /** The module imports something the runtime does not provide (only WASI preview1 is). */
  UnsupportedImport: 'UnsupportedImport',
} as const

/** A {@link JobFailureName} value. */
export type JobFailureName = (typeof JobFailureName)[keyof typeof JobFailureName]

/** Why a job was stopped, in a name for programs and a sentence for people. */
export type JobFailure = {
  name: JobFailureName
  message: string
}

/** Builds a {@link JobFailure}. */
export function jobFailure(name: JobFailureName, message: string): JobFailure {
  return { name, message }
}
