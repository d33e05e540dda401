/** What a provider's runtime named when it stopped a job at a limit: `ProcessLimitExceeded`, `MemoryLimitExceeded`, … */
export type FailureNote = { name: string; message: string }

const notePattern = /^\[allot\] ([A-Za-z]+): (.*)$/gm

/**
 * The line a provider appends to a result's stderr when its runtime named the failure, so that the client
 * (and `job logs`) can say why the job stopped: the exit code alone reads 137 for every kill.
 */
export function formatFailureNote({ name, message }: FailureNote): string {
  return `\n[allot] ${name}: ${message}\n`
}

/** The last failure note in a result's stderr, if the provider wrote one. */
export function parseFailureNote(stderr: string): FailureNote | undefined {
  const last = [...stderr.matchAll(notePattern)].at(-1)
  return last ? { name: last[1]!, message: last[2]! } : undefined
}
