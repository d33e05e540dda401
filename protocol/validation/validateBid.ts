import { DEFAULT_MAX_CLOCK_SKEW_SEC, DEFAULT_MAX_ORDER_HORIZON_SEC } from '../constants.ts'
import type { SignedBid } from '../types/bid.ts'
import type { MarketParameters } from '../types/resources.ts'
import { isSameMarket } from './isSameMarket.ts'
import { OrderRejection, type OrderValidation } from './orderRejection.ts'

export type ValidateBidParameters = MarketParameters & {
  /** Unix seconds. */
  now: number
  /** Furthest allowed expiry from `now`; defaults to `DEFAULT_MAX_ORDER_HORIZON_SEC`. */
  maxHorizonSec?: number | undefined
  /** Defaults to `DEFAULT_MAX_CLOCK_SKEW_SEC`. */
  maxClockSkewSec?: number | undefined
}

/**
 * The cheap, synchronous checks of a decoded bid: market, expiry, horizon.
 *
 * @param signedBid - A decoded bid.
 * @param parameters - The market, the time and limits.
 * @returns `{ valid: true }` or the first rejection.
 * @example
 * const result = validateBid(signedBid, { chainId, market, now })
 */
export function validateBid(signedBid: SignedBid, parameters: ValidateBidParameters): OrderValidation {
  const { now, maxHorizonSec = DEFAULT_MAX_ORDER_HORIZON_SEC, maxClockSkewSec = DEFAULT_MAX_CLOCK_SKEW_SEC } = parameters
  const { bid } = signedBid
  if (!isSameMarket(signedBid, parameters)) return { valid: false, reason: OrderRejection.WrongDomain }
  if (now >= bid.expiry) return { valid: false, reason: OrderRejection.Expired }
  if (bid.expiry > now + maxHorizonSec + maxClockSkewSec) return { valid: false, reason: OrderRejection.FarFuture }
  return { valid: true }
}
