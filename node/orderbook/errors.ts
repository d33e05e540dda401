import { BaseError } from '../../protocol/errors/base.ts'
import type { BookRejection } from './rejection.ts'

export type OrderRejectedErrorType = OrderRejectedError & { name: 'OrderRejectedError' }

/** The book refused an order this node tried to publish; `reason` names the broken condition. */
export class OrderRejectedError extends BaseError {
  override name = 'OrderRejectedError' as const
  readonly reason: BookRejection
  constructor({ type, reason, cause }: { type: string; reason: BookRejection; cause?: unknown }) {
    super(`The ${type} was refused: ${reason}.`, { cause, hint: rejectionHint[reason] })
    this.reason = reason
  }
}

const rejectionHint: Partial<Record<BookRejection, string>> = {
  stale: 'Sign the new ask with a sequence above the last one published (and a cancel with a higher nonce).',
  cancelled: 'Sign the ask with the provider’s current cancel nonce.',
  expired: 'Sign it with an expiry in the future.',
  'far-future': 'Sign it with an expiry within the market’s horizon.',
  'bad-signature': 'Sign it with the key of the order’s provider or client, for this market.',
  'wrong-domain': 'Sign it for this chain id and market contract.',
}
