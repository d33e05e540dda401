import type { Hex } from 'viem'
import type { AskEntry, SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { MessageType } from '../../protocol/types/messages.ts'
import type { GossipAction } from '../../protocol/validation/orderRejection.ts'
import type { BookRejection } from './rejection.ts'

/** Which book: asks (with their providers' cancels) or bids. */
export type BookSide = 'asks' | 'bids'

/** Where an order came from. */
export type OrderSource = 'gossip' | 'sync' | 'local' | 'store'

/** An ask as the book holds it. */
export type BookAsk = AskEntry & { signed: SignedAsk }

/** A bid as the book holds it. */
export type BookBid = { hash: Hex; signed: SignedBid }

/** Why an order left the book. */
export type RemovalReason = 'expired' | 'evicted' | 'replaced' | 'cancelled' | 'unbacked'

/** The order book's events, for `addEventListener`. */
export type OrderBookEvents = {
  /** An ask entered the book (new, or replacing an older one of its provider). */
  ask: CustomEvent<BookAsk & { source: OrderSource }>
  /** A bid entered the book. */
  bid: CustomEvent<BookBid & { source: OrderSource }>
  /** A cancel raised a provider's cancel nonce; `removed` is the ask it voided. */
  cancel: CustomEvent<{ signed: SignedAskCancel; removed?: Hex | undefined; source: OrderSource }>
  /** An order left the book. */
  removed: CustomEvent<{ book: BookSide; hash: Hex; reason: RemovalReason }>
  /** An order was refused; `action` is what gossip was told. */
  rejected: CustomEvent<{ reason: BookRejection; action: GossipAction; source: OrderSource; from?: string | undefined; type?: MessageType | undefined }>
}

/** Counts of what the book holds and what it did. */
export type OrderBookStats = {
  asks: number
  bids: number
  /** Providers the book remembers (asks, sequences, cancels). */
  providers: number
  own: { asks: number; bids: number }
  accepted: { asks: number; bids: number; cancels: number }
  /** Refusals by reason (gossip, sync and local). */
  rejected: Record<string, number>
  removed: Record<RemovalReason, number>
}

/** Who sent an order and how the book treats it. */
export type OrderContext = { source: OrderSource; from?: string | undefined; own?: boolean }

/** What the book decided about one order. */
export type AdmitResult = { accepted: true } | { accepted: false; reason: BookRejection; cause?: unknown }

/** The unix-seconds clock every part reads. */
export const systemNow = () => Math.floor(Date.now() / 1000)
