import type { JobLog } from './runtime.ts'

/**
 * Keeps a job's stdout and stderr up to a shared cap, forwarding each piece as
 * a live log. Past the cap it keeps nothing more and reports the overflow once,
 * so a job that floods its output costs the provider no memory.
 */
export class OutputCollector {
  readonly #chunks: Record<JobLog['stream'], Uint8Array[]> = { stdout: [], stderr: [] }
  #bytes = 0
  #exceeded = false

  constructor(
    readonly capBytes: number,
    readonly onLog: ((log: JobLog) => void) | undefined,
    readonly onExceeded: () => void,
  ) {}

  /** Takes a piece of output from one stream. */
  push(stream: JobLog['stream'], chunk: Uint8Array): void {
    if (this.#exceeded) return
    const room = this.capBytes - this.#bytes
    const kept = chunk.length > room ? chunk.subarray(0, room) : chunk
    if (kept.length > 0) {
      const copy = new Uint8Array(kept)
      this.#chunks[stream].push(copy)
      this.#bytes += copy.length
      this.onLog?.({ stream, data: copy })
    }
    if (chunk.length > room) {
      this.#exceeded = true
      this.onExceeded()
    }
  }

  /** Whether the job wrote past the cap. */
  get exceeded(): boolean {
    return this.#exceeded
  }

  /** Everything kept from one stream. */
  bytes(stream: JobLog['stream']): Uint8Array {
    return Buffer.concat(this.#chunks[stream])
  }
}
