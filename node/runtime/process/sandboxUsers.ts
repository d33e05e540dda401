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

  /** Takes the lowest free uid, or `undefined` when all are in use. */
  take(): number | undefined {
    return this.#free.shift()
  }

  /** Gives a uid back once every process of its job has ended. */
  give(uid: number): void {
    this.#free.push(uid)
    this.#free.sort((a, b) => a - b)
  }
}
