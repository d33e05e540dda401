import type { Address } from 'viem'
import { MAX_UINT128 } from '../constants.ts'
import { askUtilization } from '../pricing/askUtilization.ts'
import { dealCollateral } from '../pricing/dealCollateral.ts'
import { exactPrice } from '../pricing/exactPrice.ts'
import { DEFAULT_PRICING_CURVE, type PricingCurve } from '../pricing/pricingCurve.ts'
import type { Ask } from '../types/ask.ts'
import type { Bid } from '../types/bid.ts'
import { assignGpus, type GpuAssignment } from './assignGpus.ts'
import { MatchCriterion } from './matchCriteria.ts'

/** Whether a provider's on-chain position can take on `collateral` more obligations. */
export type CanBack = (provider: Address, collateral: bigint) => boolean

export type EvaluateAskParameters = {
  /** Unix seconds. */
  now: number
  canBack: CanBack
  /** Defaults to {@link DEFAULT_PRICING_CURVE}; every peer of a market must use the same. */
  pricing?: PricingCurve | undefined
  /** Defaults to {@link askUtilization} of the ask; a provider passes its live utilization. */
  utilization?: bigint | undefined
}

export type EvaluateAskReturnType = {
  /** Every criterion the ask fails, in {@link MatchCriterion} order; empty when it matches. */
  failures: MatchCriterion[]
  utilization: bigint
  /** The GPUs that would serve the bid; absent when the `gpu` criterion fails. */
  gpus?: GpuAssignment[] | undefined
  /** The ask's price for the bid; absent when it cannot be computed (no GPUs). */
  price?: bigint | undefined
  /** Collateral the ask offers at that price; absent with the price or when the price overflows. */
  collateral?: bigint | undefined
}

/**
 * Checks one ask against a bid on every matching criterion, independently:
 * an ask that fails several reports all of them. The price and the backing
 * check need the GPU assignment, so they are not evaluated when `gpu` fails;
 * backing is not evaluated either when the price overflows `uint128`.
 * Providers use it on their own live ask to decide on a proposal.
 *
 * @param bid - The bid.
 * @param ask - The ask.
 * @param parameters - The time, the backing check and the pricing curve.
 * @returns The failed criteria, and the price and collateral where known.
 * @example
 * const { failures, price } = evaluateAsk(bid, ask, { now, canBack })
 */
export function evaluateAsk(
  bid: Bid,
  ask: Ask,
  { now, canBack, pricing = DEFAULT_PRICING_CURVE, utilization = askUtilization(ask) }: EvaluateAskParameters,
): EvaluateAskReturnType {
  const { requirements, duration } = bid
  const failed = new Set<MatchCriterion>()
  if (now >= ask.expiry) failed.add(MatchCriterion.Expired)
  if (!ask.runtimes.includes(requirements.runtime)) failed.add(MatchCriterion.Runtime)
  if (duration < ask.minDuration || duration > ask.maxDuration) failed.add(MatchCriterion.Duration)
  if (
    requirements.cpuMillicores > ask.free.cpuMillicores ||
    requirements.memoryMiB > ask.free.memoryMiB ||
    requirements.diskMiB > ask.free.diskMiB
  )
    failed.add(MatchCriterion.Capacity)

  const gpus = assignGpus(requirements.gpus, ask)
  let price: bigint | undefined
  let collateral: bigint | undefined
  if (!gpus) failed.add(MatchCriterion.Gpu)
  else {
    price = exactPrice({ prices: ask.prices, requirements, gpus, duration, utilization, curve: pricing })
    if (price > bid.maxPrice || price > MAX_UINT128) failed.add(MatchCriterion.Price)
    if (price <= MAX_UINT128) {
      collateral = dealCollateral(price, ask.collateralBps)
      if (collateral > MAX_UINT128 || !canBack(ask.provider, collateral)) failed.add(MatchCriterion.Unbacked)
    }
  }
  const failures = Object.values(MatchCriterion).filter((criterion) => failed.has(criterion))
  return { failures, utilization, gpus, price, collateral }
}
