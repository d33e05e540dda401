import type { Address } from 'viem'
import {
  DEFAULT_MAX_CLOCK_SKEW_SEC,
  DEFAULT_MAX_DEADLINE_SLACK_SEC,
  DEFAULT_MAX_TERMS_LIFETIME_SEC,
} from '../constants.ts'
import type { DealAccept, DealProposal } from '../types/messages.ts'
import { DealAcceptRejection, type DealAcceptValidation } from './dealAcceptRejection.ts'

export type ValidateDealAcceptParameters = {
  /** Unix seconds. */
  now: number
  /** The proposal the terms answer. */
  proposal: DealProposal
  /** The provider of the matched ask. */
  provider: Address
  /** Defaults to `DEFAULT_MAX_TERMS_LIFETIME_SEC`. */
  maxTermsLifetimeSec?: number | undefined
  /** Defaults to `DEFAULT_MAX_DEADLINE_SLACK_SEC`. */
  maxDeadlineSlackSec?: number | undefined
  /** Defaults to `DEFAULT_MAX_CLOCK_SKEW_SEC`. */
  maxClockSkewSec?: number | undefined
}

/**
 * A client's synchronous checks of signed terms against its proposal: the
 * parties and job are the bid's and the ask's, the price is not above and the
 * collateral not below what was proposed, the terms are open now and not for
 * too long, and the deadline leaves the bid's duration after the latest open
 * without trailing it by more than the allowed slack. The signature is checked
 * by {@link verifyDealAccept}.
 *
 * @param accept - The decoded accept.
 * @param parameters - The proposal, the provider, the time and limits.
 * @returns `{ valid: true }` or the first rejection.
 * @example
 * const result = validateDealAccept(accept, { now, proposal, provider: match.ask.provider })
 */
export function validateDealAccept(accept: DealAccept, parameters: ValidateDealAcceptParameters): DealAcceptValidation {
  const {
    now,
    proposal,
    provider,
    maxTermsLifetimeSec = DEFAULT_MAX_TERMS_LIFETIME_SEC,
    maxDeadlineSlackSec = DEFAULT_MAX_DEADLINE_SLACK_SEC,
    maxClockSkewSec = DEFAULT_MAX_CLOCK_SKEW_SEC,
  } = parameters
  const { terms } = accept
  const { bid } = proposal.bid
  const fail = (reason: DealAcceptRejection): DealAcceptValidation => ({ valid: false, reason })
  if (terms.client.toLowerCase() !== bid.client.toLowerCase()) return fail(DealAcceptRejection.ClientMismatch)
  if (terms.provider.toLowerCase() !== provider.toLowerCase()) return fail(DealAcceptRejection.ProviderMismatch)
  if (terms.jobHash.toLowerCase() !== bid.jobHash.toLowerCase()) return fail(DealAcceptRejection.JobHashMismatch)
  if (terms.price > proposal.price) return fail(DealAcceptRejection.PriceAboveProposal)
  if (terms.collateral < proposal.collateral) return fail(DealAcceptRejection.CollateralBelowProposal)
  if (BigInt(now) >= terms.expiry) return fail(DealAcceptRejection.Expired)
  if (terms.expiry > BigInt(now + maxTermsLifetimeSec + maxClockSkewSec)) return fail(DealAcceptRejection.ExpiryTooFar)
  const earliestDeadline = terms.expiry + BigInt(bid.duration)
  if (terms.deadline < earliestDeadline) return fail(DealAcceptRejection.DeadlineTooEarly)
  if (terms.deadline > earliestDeadline + BigInt(maxDeadlineSlackSec)) return fail(DealAcceptRejection.DeadlineTooLate)
  return { valid: true }
}
