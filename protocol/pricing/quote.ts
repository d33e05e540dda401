import { MAX_UINT128 } from '../constants.ts'
import { GpuUnavailableError, PriceOverflowError } from '../errors/pricing.ts'
import { assignGpus } from '../matching/assignGpus.ts'
import type { Ask } from '../types/ask.ts'
import type { Bid } from '../types/bid.ts'
import { askUtilization } from './askUtilization.ts'
import { exactPrice } from './exactPrice.ts'
import { DEFAULT_PRICING_CURVE, type PricingCurve } from './pricingCurve.ts'

export type QuoteErrorType = GpuUnavailableError | PriceOverflowError

/**
 * The total price of a bid on an ask, in the payment token's smallest unit:
 *
 * ⌈ duration × (cores × cpu + GiB × memory + Σ gpus × gpu[model]) × multiplier(u) / PRICE_SCALE ⌉
 *
 * with cores = millicores / 1000 and GiB = MiB / 1024, computed exactly and
 * rounded up once, in the provider's favour. GPUs are priced by the models
 * {@link assignGpus} picks.
 *
 * @param ask - The ask.
 * @param bid - The bid (only its requirements and duration count).
 * @param utilization - 1e18 = 100%; defaults to {@link askUtilization} of the ask.
 * @param curve - Defaults to {@link DEFAULT_PRICING_CURVE}.
 * @returns The price.
 * @throws {GpuUnavailableError} The ask cannot serve the bid's GPUs.
 * @throws {PriceOverflowError} The price does not fit `uint128`.
 * @example
 * const price = quote(ask, bid)
 */
export function quote(
  ask: Ask,
  bid: Pick<Bid, 'requirements' | 'duration'>,
  utilization: bigint = askUtilization(ask),
  curve: PricingCurve = DEFAULT_PRICING_CURVE,
): bigint {
  const gpus = assignGpus(bid.requirements.gpus, ask)
  if (!gpus) throw new GpuUnavailableError()
  const price = exactPrice({
    prices: ask.prices,
    requirements: bid.requirements,
    gpus,
    duration: bid.duration,
    utilization,
    curve,
  })
  if (price > MAX_UINT128) throw new PriceOverflowError({ value: price })
  return price
}
