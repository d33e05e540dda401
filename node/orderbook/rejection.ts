import { OrderRejection, orderRejectionAction, type GossipAction } from '../../protocol/validation/orderRejection.ts'

/**
 * Why the book refuses an order: every {@link OrderRejection} of `protocol/`,
 * plus what only a node can judge (bytes, the chain, its own limits).
 */
export const BookRejection = {
  ...OrderRejection,
  /** Over `MAX_MESSAGE_BYTES`. */
  Oversized: 'oversized',
  /** Not a message: truncated, not UTF-8 or JSON, not canonical, unknown version or type byte. */
  Malformed: 'malformed',
  /** A message of a type the topic does not carry (a bid on the asks topic). */
  UnexpectedType: 'unexpected-type',
  /** A well-formed message whose body breaks its schema. */
  Schema: 'schema',
  /** The provider's position cannot back the market's minimum deal. */
  Unbacked: 'unbacked',
  /** A bid the book already holds. */
  Duplicate: 'duplicate',
  /** The book is full of asks backed at least as well. */
  BookFull: 'book-full',
  /** The peer that forwarded it sends faster than any honest node forwards. */
  PeerRateLimited: 'peer-rate-limited',
  /** The provider or client that signed it publishes faster than allowed. */
  MakerRateLimited: 'maker-rate-limited',
  /** The node's own budget for signature checks is spent. */
  RateLimited: 'rate-limited',
} as const

/** A {@link BookRejection} value. */
export type BookRejection = (typeof BookRejection)[keyof typeof BookRejection]

/**
 * What the gossip validator answers for each rejection. `reject` lowers the
 * forwarding peer's gossipsub score, so it is kept for what no honest peer
 * forwards: bytes that are not an order of this topic, a bad signature, another
 * market, an expiry beyond the horizon, and traffic above the per-peer limit
 * (an honest peer forwards only what it accepted, which its own global limit,
 * by default no higher, bounds). What an honest peer can forward — orders that
 * expired in flight or that a newer order overtook, a provider whose position
 * the chain changed, a book that is full here — is ignored.
 */
export const bookRejectionAction: Readonly<Record<BookRejection, GossipAction>> = Object.freeze({
  ...orderRejectionAction,
  oversized: 'reject',
  malformed: 'reject',
  'unexpected-type': 'reject',
  schema: 'reject',
  unbacked: 'ignore',
  duplicate: 'ignore',
  'book-full': 'ignore',
  'peer-rate-limited': 'reject',
  'maker-rate-limited': 'ignore',
  'rate-limited': 'ignore',
})
