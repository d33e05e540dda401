import type { TypedEventEmitter } from '@libp2p/interface'
import type { Hex } from 'viem'
import type { SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { Message } from '../../protocol/types/messages.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import type { Logger } from '../log/logger.ts'
import type { Admission } from './admission.ts'
import type { Backing } from './backing.ts'
import type { AskRecord, BidRecord, BookState } from './bookState.ts'
import type { OrderBookMetrics, OrderKind } from './metrics.ts'
import { BookRejection, bookRejectionAction } from './rejection.ts'
import { askCancelDigest, askDigest, bidDigest, bytesToHex } from './typedDataHasher.ts'
import { systemNow, type AdmitResult, type OrderBookEvents, type OrderContext } from './types.ts'

/** An order message, as gossip, sync, the store and the node's own publishing hand it over. */
export type OrderMessage = Message<'ask' | 'bid' | 'ask-cancel'>

export type AdmitComponents = {
  market: MarketParameters
  admission: Admission
  state: BookState
  backing: Backing
  events: TypedEventEmitter<OrderBookEvents>
  metrics: OrderBookMetrics
  logger: Logger
}

export type AdmitInit = {
  /** An ask is kept only if its provider can back this much deal collateral (default 1). */
  minBacking?: bigint
  /** The clock, unix seconds (for an ask's propagation time). */
  now?: () => number
}

export const defaultAdmitInit = {
  minBacking: 1n,
  now: systemNow,
} satisfies Required<AdmitInit>

/** The path of one order into the book, whatever its source. */
export type Admit = {
  /** Every check, in order, and the book's update. */
  admit(message: OrderMessage, bytes: Uint8Array, context: OrderContext): Promise<AdmitResult>
  /** Counts and reports a refusal decided before the message decoded (`kind` then is `unknown`). */
  refuse(reason: BookRejection, context: OrderContext, kind: OrderKind, cause?: unknown): AdmitResult
}

/**
 * Creates the admission pipeline: the cheap checks of {@link Admission}, then
 * its authentication, then the provider's backing, then the same cheap checks
 * again (other orders of the maker may have landed while it awaited), then the
 * book. Each refusal is counted, reported as a `rejected` event and in the metrics.
 *
 * @param components - The checks, the state, the backing, the events and the metrics.
 * @param init - The minimum backing.
 * @returns The pipeline.
 * @example
 * const { admit } = createAdmit({ market, admission, state, backing, events, metrics, logger })
 * await admit({ type: 'bid', body: signedBid }, bytes, { source: 'gossip', from: peer })
 */
export function createAdmit({ market, admission, state, backing, events, metrics, logger: log }: AdmitComponents, init: AdmitInit = {}): Admit {
  const { minBacking, now } = { ...defaultAdmitInit, ...init }

  const refuse = (reason: BookRejection, context: OrderContext, kind: OrderKind, cause?: unknown): AdmitResult => {
    // A sync or a republish of what the book already holds is not a refusal worth counting.
    const known = reason === BookRejection.Duplicate || (reason === BookRejection.Stale && context.source === 'sync')
    if (!(known && context.source !== 'gossip')) {
      state.countRejected(reason)
      if (context.source !== 'store') metrics.rejected(kind, reason)
      const action = bookRejectionAction[reason]
      const type = kind === 'unknown' ? undefined : kind
      log.trace('%s %s from %s: %s (%s)', context.source, type ?? 'message', context.from ?? 'us', reason, action)
      events.safeDispatchEvent('rejected', { detail: { reason, action, source: context.source, from: context.from, type } })
    }
    return { accepted: false, reason, cause }
  }

  const accepted = (kind: OrderKind, context: OrderContext): AdmitResult => {
    if (context.source !== 'store') metrics.accepted(kind)
    return { accepted: true }
  }

  // The store's copy names only the cancel nonce: a reloaded ask must not be stale against the sequence it set itself.
  const knownFor = (provider: string, context: OrderContext) => {
    const known = state.provider(provider)
    return context.source === 'store' ? { cancelNonce: known?.cancelNonce } : known
  }

  const admitAsk = async (signed: SignedAsk, bytes: Uint8Array, context: OrderContext): Promise<AdmitResult> => {
    const { ask } = signed
    const provider = ask.provider
    const stale = (hash: Hex) => (state.ask(provider)?.entry.hash === hash ? BookRejection.Duplicate : BookRejection.Stale)
    let reason = admission.checkAsk(signed, knownFor(provider, context))
    if (reason && reason !== BookRejection.Stale) return refuse(reason, context, 'ask')
    const digest = askDigest(ask, market)
    const hash = bytesToHex(digest)
    if (reason) {
      if (context.own) state.pin(provider, hash)
      return refuse(stale(hash), context, 'ask')
    }
    if (context.source !== 'store') {
      const failed = await admission.authenticate(digest, provider, signed.signature, context.source)
      if (failed) return refuse(failed, context, 'ask')
    }
    let available: bigint | undefined
    // A reloaded ask of another provider stays out of sight until the backing monitor's first pass (at start)
    // confirms it: its provider may have lost its backing, or the price feed gone stale, while this node was down.
    let backed = context.source !== 'store' || Boolean(context.own)
    if (!context.own && context.source !== 'store') {
      try {
        backed = await backing.canBack(provider, minBacking)
        if (backed && backing.available) available = await backing.available(provider)
      } catch (cause) {
        log.error('backing check of %s failed: %s', provider, (cause as Error).message)
        return refuse(BookRejection.Unbacked, context, 'ask', cause)
      }
      if (!backed) return refuse(BookRejection.Unbacked, context, 'ask')
    }
    reason = admission.checkAsk(signed, knownFor(provider, context))
    if (reason) return refuse(reason === BookRejection.Stale ? stale(hash) : reason, context, 'ask')
    const record: AskRecord = { entry: { ask, hash, signed }, bytes, receivedAt: Date.now(), own: Boolean(context.own), backed, available }
    if (!state.insertAsk(record, context.source !== 'store')) return refuse(BookRejection.BookFull, context, 'ask')
    state.countAccepted('asks')
    if (context.source === 'gossip' || context.source === 'sync') metrics.propagated(now() - ask.createdAt)
    events.safeDispatchEvent('ask', { detail: { ...record.entry, source: context.source } })
    return accepted('ask', context)
  }

  const admitCancel = async (signed: SignedAskCancel, bytes: Uint8Array, context: OrderContext): Promise<AdmitResult> => {
    const { provider } = signed.cancel
    let reason = admission.checkCancel(signed, state.provider(provider))
    if (reason) return refuse(reason, context, 'ask-cancel')
    if (context.source !== 'store') {
      const failed = await admission.authenticate(askCancelDigest(signed.cancel, market), provider, signed.signature, context.source)
      if (failed) return refuse(failed, context, 'ask-cancel')
    }
    // Cancels of providers the book does not know must come from backed ones, or anyone could fill it with them.
    if (!context.own && context.source !== 'store' && !state.provider(provider)) {
      const backed = await backing.canBack(provider, minBacking).catch(() => false)
      if (!backed) return refuse(BookRejection.Unbacked, context, 'ask-cancel')
    }
    reason = admission.checkCancel(signed, state.provider(provider))
    if (reason) return refuse(reason, context, 'ask-cancel')
    const removed = state.cancel(provider, signed, bytes, context.source !== 'store')
    state.countAccepted('cancels')
    events.safeDispatchEvent('cancel', { detail: { signed, removed, source: context.source } })
    return accepted('ask-cancel', context)
  }

  const admitBid = async (signed: SignedBid, bytes: Uint8Array, context: OrderContext): Promise<AdmitResult> => {
    const { bid } = signed
    let reason = admission.checkBid(signed)
    if (reason) return refuse(reason, context, 'bid')
    const digest = bidDigest(bid, market)
    const hash = bytesToHex(digest)
    if (state.hasBid(hash)) return refuse(BookRejection.Duplicate, context, 'bid')
    if (context.source !== 'store') {
      const failed = await admission.authenticate(digest, bid.client, signed.signature, context.source)
      if (failed) return refuse(failed, context, 'bid')
    }
    reason = admission.checkBid(signed)
    if (reason) return refuse(reason, context, 'bid')
    if (state.hasBid(hash)) return refuse(BookRejection.Duplicate, context, 'bid')
    const record: BidRecord = { entry: { hash, signed }, bytes, receivedAt: Date.now(), own: Boolean(context.own) }
    if (!state.insertBid(record, context.source !== 'store')) return refuse(BookRejection.BookFull, context, 'bid')
    state.countAccepted('bids')
    events.safeDispatchEvent('bid', { detail: { ...record.entry, source: context.source } })
    return accepted('bid', context)
  }

  return {
    refuse,
    admit: (message, bytes, context) => {
      if (context.source !== 'store') metrics.received(message.type)
      switch (message.type) {
        case 'ask':
          return admitAsk(message.body, bytes, context)
        case 'bid':
          return admitBid(message.body, bytes, context)
        case 'ask-cancel':
          return admitCancel(message.body, bytes, context)
      }
    },
  }
}
