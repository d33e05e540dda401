import { formatUnits } from 'viem'
import { BaseError } from '../../protocol/errors/base.ts'
import type { MatchBidReturnType } from '../../protocol/matching/matchBid.ts'

/** No ask in the book can run the job: says how many failed on what, and the cheapest price that would match. */
export class NoMatchError extends BaseError {
  override name = 'NoMatchError'
  readonly rejected: MatchBidReturnType['rejected']
  readonly cheapestPrice: bigint | undefined
  constructor({ result, maxPrice, decimals = 6, declined = [] }: { result: MatchBidReturnType; maxPrice: bigint; decimals?: number; declined?: string[] }) {
    const failing = Object.entries(result.rejected).filter(([, count]) => count > 0)
    super(result.considered === 0 ? 'No provider has an ask in the book.' : `None of the ${result.considered} asks in the book can run this job.`, {
      metaMessages: [
        ...failing.map(([criterion, count]) => `  ${String(count).padStart(3)} failed on ${criterion}`),
        ...declined.map((line) => `  declined: ${line}`),
        ...(result.cheapestPrice !== undefined && result.cheapestPrice > maxPrice ? [`  cheapest price that would match: ${formatUnits(result.cheapestPrice, decimals)} (your maximum: ${formatUnits(maxPrice, decimals)})`] : []),
      ],
      hint:
        result.cheapestPrice !== undefined && result.cheapestPrice > maxPrice
          ? `Raise --max-price to at least ${formatUnits(result.cheapestPrice, decimals)}.`
          : result.considered === 0
            ? 'Check --bootstrap: the node must reach peers that know the providers.'
            : 'Lower the job’s requirements, or wait for capacity to free up.',
    })
    this.rejected = result.rejected
    this.cheapestPrice = result.cheapestPrice
  }
}

export class ResultTimeoutError extends BaseError {
  override name = 'ResultTimeoutError'
  constructor({ dealId, deadline }: { dealId: string; deadline: bigint }) {
    super(`Deal ${dealId} has no committed result by its deadline (${new Date(Number(deadline) * 1000).toISOString()}).`, {
      hint: `The provider defaulted: a keeper liquidates the deal and refunds you with compensation; you can trigger it yourself with \`allot job cancel ${dealId}\`.`,
    })
  }
}

export class TermsRejectedError extends BaseError {
  override name = 'TermsRejectedError'
  constructor({ reason }: { reason: string }) {
    super(`The provider's signed terms were refused: ${reason}.`)
  }
}
