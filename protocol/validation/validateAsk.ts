import { DEFAULT_MAX_CLOCK_SKEW_SEC, DEFAULT_MAX_ORDER_HORIZON_SEC } from '../constants.ts'
import type { SignedAsk } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { isSameMarket } from './isSameMarket.ts'
import { OrderRejection, type OrderValidation } from './orderRejection.ts'

export type ValidateAskParameters = MarketParameters & {
  /** Unix seconds. */
  now: number
  /** Furthest allowed expiry from `now`; defaults to `DEFAULT_MAX_ORDER_HORIZON_SEC`. */
  maxHorizonSec?: number | undefined
  /** Defaults to `DEFAULT_MAX_CLOCK_SKEW_SEC`. */
  maxClockSkewSec?: number | undefined
  /** What the book already holds for this provider. */
  known?: { sequence?: number | undefined; cancelNonce?: number | undefined } | undefined
}

/**
 * The cheap, synchronous checks of a decoded ask, in this order: market,
 * expiry, horizon, creation time, cancel nonce, sequence. Run it before the
 * costly signature check ({@link verifyAsk} does both).
 *
 * @param signedAsk - A decoded ask (its schema already holds).
 * @param parameters - The market, the time, limits and the book's state for the provider.
 * @returns `{ valid: true }` or the first rejection.
 * @example
 * const result = validateAsk(signedAsk, { chainId, market, now })
 * if (!result.valid) return orderRejectionAction[result.reason]
 */
export function validateAsk(signedAsk: SignedAsk, parameters: ValidateAskParameters): OrderValidation {
  const {
    now,
    maxHorizonSec = DEFAULT_MAX_ORDER_HORIZON_SEC,
    maxClockSkewSec = DEFAULT_MAX_CLOCK_SKEW_SEC,
    known,
  } = parameters
  const { ask } = signedAsk
  if (!isSameMarket(signedAsk, parameters)) return { valid: false, reason: OrderRejection.WrongDomain }
  if (now >= ask.expiry) return { valid: false, reason: OrderRejection.Expired }
  if (ask.expiry > now + maxHorizonSec + maxClockSkewSec) return { valid: false, reason: OrderRejection.FarFuture }
  if (ask.createdAt > now + maxClockSkewSec) return { valid: false, reason: OrderRejection.NotYetValid }
  if (known?.cancelNonce !== undefined && ask.cancelNonce < known.cancelNonce)
    return { valid: false, reason: OrderRejection.Cancelled }
  if (known?.sequence !== undefined && ask.sequence <= known.sequence) return { valid: false, reason: OrderRejection.Stale }
  return { valid: true }
}
