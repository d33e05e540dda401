import type { SignedAskCancel } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { isSameMarket } from './isSameMarket.ts'
import { OrderRejection, type OrderValidation } from './orderRejection.ts'

export type ValidateAskCancelParameters = MarketParameters & {
  /** The provider's latest cancel nonce the book holds. */
  known?: { cancelNonce?: number | undefined } | undefined
}

/**
 * The cheap checks of a decoded ask cancel: market, and that it raises the
 * provider's cancel nonce. A cancel has no expiry: replaying it changes nothing.
 *
 * @param signedCancel - A decoded cancel.
 * @param parameters - The market and the book's state for the provider.
 * @returns `{ valid: true }` or the first rejection.
 * @example
 * validateAskCancel(signedCancel, { chainId, market, known: { cancelNonce: 3 } })
 */
export function validateAskCancel(
  signedCancel: SignedAskCancel,
  parameters: ValidateAskCancelParameters,
): OrderValidation {
  if (!isSameMarket(signedCancel, parameters)) return { valid: false, reason: OrderRejection.WrongDomain }
  const known = parameters.known?.cancelNonce
  if (known !== undefined && signedCancel.cancel.cancelNonce <= known) return { valid: false, reason: OrderRejection.Stale }
  return { valid: true }
}
