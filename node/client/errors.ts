import { formatUnits } from 'viem'
import { BaseError } from '../../protocol/errors/base.ts'
import type { MatchBidReturnType } from '../../protocol/matching/matchBid.ts'
import type { FailureNote } from '../../protocol/job/failureNote.ts'

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
    super(`Deal ${dealId} has no committed result by its deadline (${new Date(Number(deadline) * 1000).toLocaleString()}): the provider defaulted.`, {
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

/** The client cannot pay for the job it asks for: said before any provider is bothered. */
export class ClientUnfundedError extends BaseError {
  override name = 'ClientUnfundedError'
  constructor({ message, hint }: { message: string; hint: string }) {
    super(message, { hint })
  }
}

/** A wasm entry that does not compile would be paid for and then fail on the provider. */
export class InvalidWasmEntryError extends BaseError {
  override name = 'InvalidWasmEntryError'
  constructor({ entry, cause }: { entry: string; cause: unknown }) {
    super(`The job's entry ${entry} is not a WebAssembly module that compiles: ${(cause as Error).message}.`, {
      hint: 'Build the entry for wasm32-wasi (e.g. `cargo build --target wasm32-wasip1`), or set "runtime": "process" for a native program.',
    })
  }
}

/** The job ran and failed: its output is kept, the deal is settled, and the command exits non-zero. */
export class JobFailedError extends BaseError {
  override name = 'JobFailedError'
  readonly dealId: string
  readonly exitCode: number
  readonly resultDir: string
  /** What the provider's runtime named, where it stopped the job at a limit. */
  readonly failure: FailureNote | undefined
  constructor({ dealId, exitCode, resultDir, failure }: { dealId: string; exitCode: number; resultDir: string; failure?: FailureNote | undefined }) {
    const named = failure ? ` (the provider stopped it: ${failure.name}, ${failure.message})` : ''
    super(`The job of deal ${dealId} exited with code ${exitCode}${named}; its output is in ${resultDir}.`, {
      hint: `Read it with \`allot job logs ${dealId.slice(0, 10)}\`: the job itself failed, the market did its part.`,
    })
    this.dealId = dealId
    this.exitCode = exitCode
    this.resultDir = resultDir
    this.failure = failure
  }
}

/** `job submit --timeout` ran out; a deal already opened is remembered and can be finished later. */
export class SubmitTimeoutError extends BaseError {
  override name = 'SubmitTimeoutError'
  constructor({ seconds, dealId }: { seconds: number; dealId?: string | undefined }) {
    super(`job submit gave up after ${seconds} s${dealId ? ` with deal ${dealId} open` : ' before any deal was opened: nothing was paid'}.`, {
      hint: dealId ? `The deal is remembered: finish it with \`allot job result ${dealId.slice(0, 10)}\`, or see \`allot job status ${dealId.slice(0, 10)}\`.` : 'Raise --timeout, or check --bootstrap and --max-price.',
    })
  }
}

/** The chain went down or changed while a job was being negotiated: nothing is opened on it. */
export class ChainChangedError extends BaseError {
  override name = 'ChainChangedError'
  constructor({ condition }: { condition: string }) {
    super(`The chain is ${condition === 'unreachable' ? 'not answering' : `no longer the one this node knew (${condition})`}, so no deal was opened and nothing was paid.`, {
      hint: 'Submit again once the chain is back (`allot chain dev` on a local market).',
    })
  }
}

type TokenUnits = { symbol: string; decimals: number }
const tokens = (amount: bigint, token: TokenUnits) => `${formatUnits(amount, token.decimals)} ${token.symbol}`
const localTime = (unixSeconds: bigint) => new Date(Number(unixSeconds) * 1000).toLocaleString()

/** Only a deal's client may dispute it. */
export class NotYourDealError extends BaseError {
  override name = 'NotYourDealError'
  constructor({ dealId, client, account }: { dealId: string; client: string; account: string }) {
    super(`Deal ${dealId} was opened by client ${client}, not by your account ${account}.`, {
      hint: 'Only the client who opened a deal may dispute it: use that account’s --home or --private-key.',
    })
  }
}

/** A dispute needs a committed deal: says what the deal is instead, and what can be done about it. */
export class DealNotDisputableError extends BaseError {
  override name = 'DealNotDisputableError'
  constructor({ dealId, status }: { dealId: string; status: string }) {
    const why: Record<string, [string, string]> = {
      Open: ['its provider has not committed a result yet', `Wait for the result; if the provider misses its deadline, \`allot job cancel ${dealId}\` refunds you with compensation.`],
      Disputed: ['it is already disputed', 'The arbiter decides; `allot job status` shows the outcome.'],
      Defaulted: ['the arbiter already found its provider at fault', `\`allot job cancel ${dealId}\` (or a keeper) liquidates it and refunds you.`],
      Liquidating: ['it is being liquidated', 'You were refunded; the rest of the compensation follows with the next liquidation call.'],
      Settled: ['it is settled: the provider was paid', 'A settled deal is final.'],
      Liquidated: ['it is liquidated: you were refunded and compensated', 'A liquidated deal is final.'],
      None: ['the market has no such deal', 'Check the deal id with `allot job list`; on a dev chain that was restarted, old deals are gone.'],
    }
    const [reason, hint] = why[status] ?? [`it is ${status}`, 'See `allot job status`.']
    super(`Deal ${dealId} cannot be disputed: ${reason}.`, { hint })
  }
}

/** The client may dispute only inside the challenge window after the result was committed. */
export class ChallengeWindowClosedError extends BaseError {
  override name = 'ChallengeWindowClosedError'
  constructor({ dealId, endedAt }: { dealId: string; endedAt: bigint }) {
    super(`The challenge window of deal ${dealId} closed at ${localTime(endedAt)}: it can no longer be disputed.`, {
      hint: 'Anyone may now settle it, and the provider will be paid. Check results as soon as they are committed: `job submit` and `job result` do.',
    })
  }
}

/** The client holds less payment token than the dispute bond. */
export class InsufficientBondError extends BaseError {
  override name = 'InsufficientBondError'
  constructor({ bond, balance, token }: { bond: bigint; balance: bigint; token: TokenUnits }) {
    super(`The dispute bond is ${tokens(bond, token)} but your account holds ${tokens(balance, token)}.`, {
      hint: `Add at least ${tokens(bond - balance, token)} to your account (\`allot balance\` shows it), then dispute again before the window closes.`,
    })
  }
}

/** The user answered no (or nothing) when asked to post the bond. */
export class DisputeNotConfirmedError extends BaseError {
  override name = 'DisputeNotConfirmedError'
  constructor({ dealId }: { dealId: string }) {
    super(`Deal ${dealId} was not disputed: the bond was not confirmed.`, { hint: 'Answer y to the question, or pass --yes in scripts.' })
  }
}

/** A command about a remembered deal was pointed at another market than the one the deal was opened on. */
export class DealOnOtherMarketError extends BaseError {
  override name = 'DealOnOtherMarketError'
  constructor({ dealId, market, chosen }: { dealId: string; market: string; chosen: string }) {
    super(`Deal ${dealId.slice(0, 10)}… was opened on market ${market}, not on ${chosen} (chosen by --market, ALLOT_MARKET or the config).`, {
      hint: `Leave the market out and the deal's own is used, or pass --market ${market}.`,
    })
  }
}
