import type { Hex } from 'viem'
import { evaluateAsk, type CanBack } from '../matching/evaluateAsk.ts'
import { MatchCriterion } from '../matching/matchCriteria.ts'
import { askUtilization } from '../pricing/askUtilization.ts'
import { dealCollateral } from '../pricing/dealCollateral.ts'
import type { PricingCurve } from '../pricing/pricingCurve.ts'
import type { Ask } from '../types/ask.ts'
import { DeclineReason, type DealProposal } from '../types/messages.ts'
import type { MarketParameters, Resources } from '../types/resources.ts'
import { isSameMarket } from './isSameMarket.ts'

export type ValidateDealProposalParameters = MarketParameters & {
  /** Unix seconds. */
  now: number
  /** The provider's current published ask. */
  ask: Ask
  /** Its hash. */
  askHash: Hex
  /** Live free capacity; defaults to the ask's. */
  free?: Resources | undefined
  /** Live utilization; defaults to that of the ask with `free` applied. */
  utilization?: bigint | undefined
  canBack: CanBack
  pricing?: PricingCurve | undefined
}

export type ValidateDealProposalReturnType =
  | {
      valid: true
      /** Price to sign: the proposed price, which covers the live quote. */
      price: bigint
      /** Collateral to sign: what the ask offers at that price. */
      collateral: bigint
      /** The provider's live quote. */
      quote: bigint
    }
  | { valid: false; reason: DeclineReason }

/**
 * A provider's synchronous checks of a proposal against its live state, before
 * it fetches the job: the proposal names its current ask, the bid is for this
 * market, unexpired and within its maximum, the ask still serves the bid with
 * live capacity, the live quote is not above the proposed price, the proposed
 * collateral is what the ask offers, and the position can back it. The bid's
 * signature and the job's hash are checked separately (both are asynchronous).
 *
 * @param proposal - The decoded proposal.
 * @param parameters - The provider's ask, live capacity, market and backing check.
 * @returns The price and collateral to sign, or a decline reason.
 * @example
 * const result = validateDealProposal(proposal, { chainId, market, now, ask, askHash, free, canBack })
 * if (!result.valid) return send({ type: 'deal-decline', body: { reason: result.reason } })
 */
export function validateDealProposal(
  proposal: DealProposal,
  parameters: ValidateDealProposalParameters,
): ValidateDealProposalReturnType {
  const { now, ask, askHash, canBack, pricing } = parameters
  const { bid } = proposal.bid
  if (proposal.askHash.toLowerCase() !== askHash.toLowerCase()) return { valid: false, reason: DeclineReason.AskUnknown }
  if (!isSameMarket(proposal.bid, parameters)) return { valid: false, reason: DeclineReason.BidInvalid }
  if (now >= bid.expiry) return { valid: false, reason: DeclineReason.BidExpired }
  if (proposal.price > bid.maxPrice) return { valid: false, reason: DeclineReason.BidInvalid }

  const live: Ask = { ...ask, free: parameters.free ?? ask.free }
  const utilization = parameters.utilization ?? askUtilization(live)
  const { failures, price } = evaluateAsk(bid, live, { now, canBack: () => true, pricing, utilization })
  const failed = new Set(failures)
  if (failed.has(MatchCriterion.Expired)) return { valid: false, reason: DeclineReason.AskUnknown }
  if (failed.has(MatchCriterion.Runtime)) return { valid: false, reason: DeclineReason.RuntimeUnsupported }
  if (failed.has(MatchCriterion.Duration)) return { valid: false, reason: DeclineReason.DurationUnsupported }
  if (failed.has(MatchCriterion.Capacity) || failed.has(MatchCriterion.Gpu) || price === undefined)
    return { valid: false, reason: DeclineReason.CapacityUnavailable }
  if (price > proposal.price) return { valid: false, reason: DeclineReason.PriceChanged }

  const collateral = dealCollateral(proposal.price, ask.collateralBps)
  if (proposal.collateral > collateral) return { valid: false, reason: DeclineReason.CollateralMismatch }
  if (!canBack(ask.provider, collateral)) return { valid: false, reason: DeclineReason.InsufficientCollateral }
  return { valid: true, price: proposal.price, collateral, quote: price }
}
