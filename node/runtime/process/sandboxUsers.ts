/**
 * Hands out host user ids for sandboxes, one job at a time each. A process job
 * runs under its own unprivileged uid when the provider runs as root, for two
 * reasons: RLIMIT_NPROC counts the processes of a uid (and is not enforced
 * for root at all), and a uid of its own owns nothing else on the machine.
 */
export class SandboxUsers {
  readonly #free: number[]

  constructor({ first, count }: { first: number; count: number }) {
    this.#free = Array.from({ length: count }, (_, i) => first + i)
  }

  /** Takes the uid that has been free longest, or `undefined` when all are in use. */
  take(): number | undefined {
    return this.#free.shift()
  }

  /**
   * Gives a uid back once every process of its job has ended. It goes to the
   * end of the line: a zombie its job left still counts against RLIMIT_NPROC
   * until the host's init reaps it, so the uid rests before its next job.
   */
  give(uid: number): void {
    this.#free.push(uid)
  }
}
