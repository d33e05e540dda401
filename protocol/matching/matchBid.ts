import type { Hex } from 'viem'
import { MAX_UINT128 } from '../constants.ts'
import type { PricingCurve } from '../pricing/pricingCurve.ts'
import type { Ask, AskEntry } from '../types/ask.ts'
import type { Bid } from '../types/bid.ts'
import type { GpuAssignment } from './assignGpus.ts'
import { type CanBack, evaluateAsk } from './evaluateAsk.ts'
import { MatchCriterion } from './matchCriteria.ts'

export type MatchBidParameters = {
  /** Unix seconds. */
  now: number
  canBack: CanBack
  /** Defaults to `DEFAULT_PRICING_CURVE`; every peer of a market must use the same. */
  pricing?: PricingCurve | undefined
}

/** An ask that can serve the bid, with the deal it would give. */
export type MatchCandidate = {
  ask: Ask
  hash: Hex
  price: bigint
  collateral: bigint
  utilization: bigint
  gpus: GpuAssignment[]
}

export type MatchBidReturnType = {
  /** The best candidate, `candidates[0]`; absent when nothing matches. */
  match?: MatchCandidate | undefined
  /** Every matching ask, best first: the order to propose in, falling through on a decline. */
  candidates: MatchCandidate[]
  /** Distinct asks looked at. */
  considered: number
  /** Per criterion, how many asks failed it; an ask failing several counts in each. */
  rejected: Record<MatchCriterion, number>
  /**
   * The lowest price among asks that fail no criterion other than the bid's
   * maximum price: what the bid would have to offer to match.
   */
  cheapestPrice?: bigint | undefined
}

/**
 * The market's matching rule. Among asks that are unexpired, from providers
 * whose position can back the deal, with enough free capacity, GPUs of a
 * matching model and VRAM, the bid's runtime and duration, and a price within
 * the bid's maximum, the best is the lowest price, then the earliest
 * `createdAt`, then the lowest ask hash. The order is total, so anyone with
 * the same book gets the same answer.
 *
 * @param bid - The bid; its own validity is not checked here.
 * @param asks - The live book (one ask per provider), with each ask's hash; duplicates by hash count once.
 * @param parameters - The time, the backing check and the pricing curve.
 * @returns The ordered candidates, and why the others did not match.
 * @example
 * const { match, rejected, cheapestPrice } = matchBid(bid, book, { now, canBack: (p, c) => positions.canBack(p, c) })
 */
export function matchBid(bid: Bid, asks: readonly AskEntry[], parameters: MatchBidParameters): MatchBidReturnType {
  const rejected = Object.fromEntries(Object.values(MatchCriterion).map((c) => [c, 0])) as Record<MatchCriterion, number>
  const candidates: MatchCandidate[] = []
  const seen = new Set<string>()
  let cheapestPrice: bigint | undefined
  for (const { ask, hash } of asks) {
    const key = hash.toLowerCase()
    if (seen.has(key)) continue
    seen.add(key)
    const { failures, price, collateral, utilization, gpus } = evaluateAsk(bid, ask, parameters)
    for (const criterion of failures) rejected[criterion]++
    const onlyPrice = failures.length === 1 && failures[0] === MatchCriterion.Price
    if ((failures.length === 0 || onlyPrice) && price !== undefined && price <= MAX_UINT128)
      if (cheapestPrice === undefined || price < cheapestPrice) cheapestPrice = price
    if (failures.length === 0)
      candidates.push({ ask, hash: key as Hex, price: price!, collateral: collateral!, utilization, gpus: gpus! })
  }
  candidates.sort(compareCandidates)
  return { match: candidates[0], candidates, considered: seen.size, rejected, cheapestPrice }
}

function compareCandidates(a: MatchCandidate, b: MatchCandidate): number {
  if (a.price !== b.price) return a.price < b.price ? -1 : 1
  if (a.ask.createdAt !== b.ask.createdAt) return a.ask.createdAt - b.ask.createdAt
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0
}
