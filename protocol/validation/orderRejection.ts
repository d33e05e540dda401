/** Why a gossiped order (ask, bid or ask cancel) is refused. */
export const OrderRejection = {
  /** Signed for another chain or market contract. */
  WrongDomain: 'wrong-domain',
  /** `now ≥ expiry`. */
  Expired: 'expired',
  /** `expiry` beyond the market's horizon (plus clock skew). */
  FarFuture: 'far-future',
  /** An ask's `createdAt` beyond `now` plus clock skew. */
  NotYetValid: 'not-yet-valid',
  /** An ask signed with a cancel nonce below the provider's latest cancel. */
  Cancelled: 'cancelled',
  /** Not newer than what the book holds (ask sequence, cancel nonce). */
  Stale: 'stale',
  /** The signature does not recover to the order's provider or client. */
  BadSignature: 'bad-signature',
} as const

/** An {@link OrderRejection} value. */
export type OrderRejection = (typeof OrderRejection)[keyof typeof OrderRejection]

/** What a gossipsub validator answers: `reject` penalizes the forwarding peer, `ignore` only drops. */
export type GossipAction = 'reject' | 'ignore'

/**
 * The gossipsub verdict for each rejection. Honest peers can forward orders
 * that expire in flight, that clock skew makes early, or that a newer order or
 * cancel has overtaken: those are ignored. Nothing honest forwards a bad
 * signature, another market's order or an expiry beyond the horizon: those are
 * rejected. Decoding errors are always `reject`.
 */
export const orderRejectionAction: Readonly<Record<OrderRejection, GossipAction>> = Object.freeze({
  'wrong-domain': 'reject',
  expired: 'ignore',
  'far-future': 'reject',
  'not-yet-valid': 'ignore',
  cancelled: 'ignore',
  stale: 'ignore',
  'bad-signature': 'reject',
})

/** The outcome of an order check. */
export type OrderValidation = { valid: true } | { valid: false; reason: OrderRejection; cause?: unknown }
