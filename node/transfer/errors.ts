import { BaseError } from '../../protocol/errors/base.ts'

export class BundleHashMismatchError extends BaseError {
  override name = 'BundleHashMismatchError'
  readonly expected: string
  readonly actual: string
  constructor({ kind, expected, actual }: { kind: 'job' | 'result'; expected: string; actual: string }) {
    super(`The ${kind} bundle hashes to ${actual}, not the expected ${expected}; it was discarded.`)
    this.expected = expected
    this.actual = actual
  }
}

export class BundleTooLargeError extends BaseError {
  override name = 'BundleTooLargeError'
  constructor({ kind, size, maxBytes }: { kind: 'job' | 'result'; size: number; maxBytes: number }) {
    super(`The ${kind} bundle is ${size} bytes, over the limit of ${maxBytes}.`)
  }
}

export class FetchFailedError extends BaseError {
  override name = 'FetchFailedError'
  readonly reason: string
  constructor({ kind, reason, detail }: { kind: 'job' | 'result' | 'logs'; reason: string; detail?: string }) {
    super(`The peer refused the ${kind} fetch: ${reason}${detail ? ` (${detail})` : ''}.`)
    this.reason = reason
  }
}

export class TransferIncompleteError extends BaseError {
  override name = 'TransferIncompleteError'
  constructor({ kind, received, total }: { kind: 'job' | 'result'; received: number; total: number }) {
    super(`The ${kind} transfer stopped at ${received} of ${total} bytes; asking again resumes from there.`)
  }
}
