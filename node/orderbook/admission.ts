import type { Hex } from 'viem'
import { DEFAULT_MAX_CLOCK_SKEW_SEC, DEFAULT_MAX_ORDER_HORIZON_SEC } from '../../protocol/constants.ts'
import type { SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import { validateAsk } from '../../protocol/validation/validateAsk.ts'
import { validateAskCancel } from '../../protocol/validation/validateAskCancel.ts'
import { validateBid } from '../../protocol/validation/validateBid.ts'
import type { Logger } from '../log/logger.ts'
import { createRateLimiter, type Rate } from './rateLimiter.ts'
import { recoverSigner } from './recoverSigner.ts'
import { BookRejection } from './rejection.ts'
import { systemNow, type OrderSource } from './types.ts'

export type AdmissionComponents = {
  /** The market this node serves: every order must be signed for it. */
  market: MarketParameters
  logger: Logger
}

export type AdmissionInit = {
  /** Furthest expiry accepted, seconds from now (default `DEFAULT_MAX_ORDER_HORIZON_SEC`). */
  maxHorizonSec?: number
  /** Clock difference tolerated between peers, seconds (default `DEFAULT_MAX_CLOCK_SKEW_SEC`). */
  maxClockSkewSec?: number
  /** Orders one provider or client may publish (default 2/s, bursts of 20); above it, `ignore`. */
  perMakerRate?: Rate
  /** Gossip whose signature this node checks (default 500/s, bursts of 1 000); above it, `ignore`. */
  globalRate?: Rate
  /** How often idle makers' buckets are dropped, ms (default 10 000). */
  pruneInterval?: number
  /** The clock, unix seconds. */
  now?: () => number
}

export const defaultAdmissionInit = {
  maxHorizonSec: DEFAULT_MAX_ORDER_HORIZON_SEC,
  maxClockSkewSec: DEFAULT_MAX_CLOCK_SKEW_SEC,
  perMakerRate: { perSec: 2, burst: 20 },
  globalRate: { perSec: 500, burst: 1_000 },
  pruneInterval: 10_000,
  now: systemNow,
} satisfies Required<AdmissionInit>

/** What the book remembers of a provider that the checks need. */
export type KnownProvider = { sequence?: number | undefined; cancelNonce?: number | undefined }

/**
 * The checks an order passes before it touches the book: the protocol's rules
 * (schema-level, market, expiry and horizon, sequence and cancel nonce) and
 * authentication (the per-maker and global rates, then the maker's signature).
 * It holds no orders; the caller says what the book knows of the provider.
 */
export interface Admission {
  start(): void
  stop(): void
  checkAsk(signed: SignedAsk, known: KnownProvider | undefined): BookRejection | undefined
  checkBid(signed: SignedBid): BookRejection | undefined
  checkCancel(signed: SignedAskCancel, known: KnownProvider | undefined): BookRejection | undefined
  /** The rate limits and the signature over `digest`; only gossip is rate-limited. */
  authenticate(digest: Uint8Array, maker: string, signature: Hex, source: OrderSource): Promise<BookRejection | undefined>
}

/**
 * Creates the admission checks of one market.
 *
 * @param components - The market and a logger.
 * @param init - Horizon, clock skew, rates and clock.
 * @returns The checks, their rate limiters pruned while started.
 * @example
 * const admission = createAdmission({ market, logger: logger('orderbook') })
 * const reason = admission.checkBid(signedBid)
 */
export function createAdmission({ market }: AdmissionComponents, init: AdmissionInit = {}): Admission {
  const { maxHorizonSec, maxClockSkewSec, perMakerRate, globalRate, pruneInterval, now } = { ...defaultAdmissionInit, ...init }
  const perMaker = createRateLimiter(perMakerRate)
  const global = createRateLimiter(globalRate)
  let timer: NodeJS.Timeout | undefined
  return {
    start: () => {
      timer = setInterval(() => perMaker.prune(), pruneInterval)
      timer.unref()
    },
    stop: () => clearInterval(timer),
    checkAsk: (signed, known) => {
      const result = validateAsk(signed, { ...market, now: now(), maxHorizonSec, maxClockSkewSec, known })
      return result.valid ? undefined : result.reason
    },
    checkBid: (signed) => {
      const result = validateBid(signed, { ...market, now: now(), maxHorizonSec, maxClockSkewSec })
      return result.valid ? undefined : result.reason
    },
    checkCancel: (signed, known) => {
      const result = validateAskCancel(signed, { ...market, known })
      return result.valid ? undefined : result.reason
    },
    authenticate: async (digest, maker, signature, source) => {
      const gossip = source === 'gossip'
      if (gossip && !perMaker.has(maker)) return BookRejection.MakerRateLimited
      if (gossip && !global.take('')) return BookRejection.RateLimited
      try {
        if ((await recoverSigner(digest, signature)) !== maker) return BookRejection.BadSignature
      } catch {
        return BookRejection.BadSignature
      }
      if (gossip) perMaker.take(maker)
      return undefined
    },
  }
}
