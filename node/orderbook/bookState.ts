import type { TypedEventEmitter } from '@libp2p/interface'
import type { Hex } from 'viem'
import type { SignedAskCancel } from '../../protocol/types/ask.ts'
import type { Logger } from '../log/logger.ts'
import type { BookStore } from './bookStore.ts'
import { orderJsonSize, type SyncItem } from './sync.ts'
import { systemNow, type BookAsk, type BookBid, type BookSide, type OrderBookEvents, type OrderBookStats, type RemovalReason } from './types.ts'

export type AskRecord = { entry: BookAsk; bytes: Uint8Array; receivedAt: number; own: boolean; backed: boolean; available?: bigint | undefined }
export type BidRecord = { entry: BookBid; bytes: Uint8Array; receivedAt: number; own: boolean }
export type ProviderRecord = { sequence?: number | undefined; cancelNonce?: number | undefined; cancel?: { signed: SignedAskCancel; bytes: Uint8Array } | undefined; updatedAt: number }

export type BookStateComponents = {
  bookStore: BookStore
  /** Where `removed` events go. */
  events: TypedEventEmitter<OrderBookEvents>
  logger: Logger
}

export type BookStateInit = {
  /** Most asks held, and most bids held, besides the node's own (default 10 000 each). */
  maxOrders?: number
  /** The clock, unix seconds; `updatedAt` of providers. */
  now?: () => number
}

export const defaultBookStateInit = {
  maxOrders: 10_000,
  now: systemNow,
} satisfies Required<BookStateInit>

/**
 * The book's records: asks by provider, bids by hash, what is remembered of
 * each provider, the sorted keys sync pages through, and the counters. The only
 * code that changes them; every change is queued to the store.
 */
export interface BookState {
  start(): void
  stop(): void
  /** The provider's ask, expired or not. */
  ask(provider: string): AskRecord | undefined
  askByHash(hash: Hex): AskRecord | undefined
  hasBid(hash: Hex): boolean
  provider(provider: string): ProviderRecord | undefined
  /** Asks and bids valid at `now` (asks of backed providers, and the node's own). */
  asks(now: number): BookAsk[]
  bids(now: number): BookBid[]
  /** Asks the node did not publish, for the backing re-check. */
  othersAsks(): AskRecord[]
  /** Keys in order, for sync pages. */
  keys(book: BookSide): readonly string[]
  /** What one key puts on a sync page at `now`. */
  syncItem(book: BookSide, key: string, now: number): SyncItem | undefined
  /** Takes an ask in, replacing the provider's older one; false when the book is full of better-backed asks. */
  insertAsk(record: AskRecord, persist: boolean): boolean
  /** Marks an ask the book already holds as the node's own. */
  pin(provider: string, hash: Hex): void
  removeAsk(provider: string, reason: RemovalReason): void
  /** Records a backing re-check of `record`; an unbacked one leaves the book. */
  setBacking(record: AskRecord, backed: boolean, available: bigint | undefined): void
  insertBid(record: BidRecord, persist: boolean): boolean
  removeBid(hash: Hex, reason: RemovalReason): void
  /** Records a cancel and removes the ask it voids; returns that ask's hash. */
  cancel(provider: string, signed: SignedAskCancel, bytes: Uint8Array, persist: boolean): Hex | undefined
  /** Puts back what the store held of a provider. */
  restoreProvider(provider: string, record: ProviderRecord): void
  /** Puts back when a reloaded order was first received. */
  restoreReceivedAt(book: BookSide, key: string, receivedAt: number): void
  /** Removes expired orders, and providers unchanged since `forgetBefore` with no ask. */
  pruneExpired(now: number, forgetBefore: number): void
  countAccepted(kind: 'asks' | 'bids' | 'cancels'): void
  countRejected(reason: string): void
  stats(): OrderBookStats
}

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')

/**
 * Creates the book's state.
 *
 * @param components - The store writes go to and the events `removed` goes to.
 * @param init - The book's size limit and clock.
 * @returns The state, empty.
 * @example
 * const state = createBookState({ bookStore, events, logger: logger('orderbook') })
 */
export function createBookState({ bookStore, events }: BookStateComponents, init: BookStateInit = {}): BookState {
  const { maxOrders, now } = { ...defaultBookStateInit, ...init }
  const askRecords = new Map<string, AskRecord>()
  const askProviders = new Map<Hex, string>()
  const bidRecords = new Map<Hex, BidRecord>()
  const providers = new Map<string, ProviderRecord>()
  let sortedKeys: { asks?: string[] | undefined; bids?: string[] | undefined } = {}
  let ownAsks = 0
  let ownBids = 0
  const counters = {
    accepted: { asks: 0, bids: 0, cancels: 0 },
    rejected: {} as Record<string, number>,
    removed: { expired: 0, evicted: 0, replaced: 0, cancelled: 0, unbacked: 0 } as Record<RemovalReason, number>,
  }

  const persistOrder = (book: BookSide, key: string, record: AskRecord | BidRecord) =>
    bookStore.put(book, key, { message: toBase64(record.bytes), receivedAt: record.receivedAt, own: record.own })

  const removed = (book: BookSide, hash: Hex, reason: RemovalReason) => {
    counters.removed[reason]++
    events.safeDispatchEvent('removed', { detail: { book, hash, reason } })
  }

  const removeAsk = (provider: string, reason: RemovalReason) => {
    const record = askRecords.get(provider)
    if (!record) return
    askRecords.delete(provider)
    askProviders.delete(record.entry.hash)
    if (record.own) ownAsks--
    sortedKeys.asks = undefined
    bookStore.del('asks', provider)
    removed('asks', record.entry.hash, reason)
  }

  const removeBid = (hash: Hex, reason: RemovalReason) => {
    const record = bidRecords.get(hash)
    if (!record) return
    bidRecords.delete(hash)
    if (record.own) ownBids--
    sortedKeys.bids = undefined
    bookStore.del('bids', hash)
    removed('bids', hash, reason)
  }

  /** Makes room for an ask backed by `available`: evicts the least backed one below it. */
  const evictAsk = (available: bigint | undefined): boolean => {
    let least: AskRecord | undefined
    for (const record of askRecords.values()) {
      if (record.own) continue
      if (!least || (record.available ?? 0n) < (least.available ?? 0n)) least = record
    }
    if (!least || available === undefined || (least.available ?? 0n) >= available) return false
    removeAsk(least.entry.ask.provider, 'evicted')
    return true
  }

  /** Makes room for a bid that expires at `expiry`: evicts the one expiring soonest, if sooner. */
  const evictBid = (expiry: number): boolean => {
    let soonest: BidRecord | undefined
    for (const record of bidRecords.values())
      if (!record.own && (!soonest || record.entry.signed.bid.expiry < soonest.entry.signed.bid.expiry)) soonest = record
    if (!soonest || soonest.entry.signed.bid.expiry >= expiry) return false
    removeBid(soonest.entry.hash, 'evicted')
    return true
  }

  const updateProvider = (provider: string, change: Partial<ProviderRecord>, persist: boolean) => {
    const record: ProviderRecord = { ...providers.get(provider), ...change, updatedAt: now() }
    providers.set(provider, record)
    if (!persist) return
    bookStore.put('providers', provider, {
      sequence: record.sequence,
      cancelNonce: record.cancelNonce,
      cancel: record.cancel ? toBase64(record.cancel.bytes) : undefined,
      updatedAt: record.updatedAt,
    })
  }

  const visible = (record: AskRecord, at: number) => at < record.entry.ask.expiry && (record.own || record.backed)

  return {
    start: () => {},
    stop: () => {},
    ask: (provider) => askRecords.get(provider),
    askByHash: (hash) => {
      const provider = askProviders.get(hash.toLowerCase() as Hex)
      return provider === undefined ? undefined : askRecords.get(provider)
    },
    hasBid: (hash) => bidRecords.has(hash),
    provider: (provider) => providers.get(provider),
    asks: (at) => {
      const asks: BookAsk[] = []
      for (const record of askRecords.values()) if (visible(record, at)) asks.push(record.entry)
      return asks
    },
    bids: (at) => {
      const bids: BookBid[] = []
      for (const record of bidRecords.values()) if (at < record.entry.signed.bid.expiry) bids.push(record.entry)
      return bids
    },
    othersAsks: () => [...askRecords.values()].filter((record) => !record.own),
    keys: (book) => {
      let keys = sortedKeys[book]
      if (!keys) {
        keys =
          book === 'bids'
            ? [...bidRecords.keys()].sort()
            : [...new Set([...askRecords.keys(), ...[...providers].filter(([, record]) => record.cancel).map(([provider]) => provider)])].sort()
        sortedKeys[book] = keys
      }
      return keys
    },
    syncItem: (book, key, at) => {
      if (book === 'bids') {
        const record = bidRecords.get(key as Hex)
        if (!record || at >= record.entry.signed.bid.expiry) return undefined
        return { bid: { body: record.entry.signed, size: orderJsonSize(record.bytes) } }
      }
      const item: SyncItem = {}
      const record = askRecords.get(key)
      if (record && visible(record, at)) item.ask = { body: record.entry.signed, size: orderJsonSize(record.bytes) }
      const cancel = providers.get(key)?.cancel
      if (cancel) item.cancel = { body: cancel.signed, size: orderJsonSize(cancel.bytes) }
      return item.ask || item.cancel ? item : undefined
    },
    insertAsk: (record, persist) => {
      const provider = record.entry.ask.provider
      const previous = askRecords.get(provider)
      if (!previous && !record.own && askRecords.size - ownAsks >= maxOrders && !evictAsk(record.available)) return false
      if (previous) removeAsk(provider, 'replaced')
      askRecords.set(provider, record)
      askProviders.set(record.entry.hash, provider)
      if (record.own) ownAsks++
      sortedKeys.asks = undefined
      updateProvider(provider, { sequence: record.entry.ask.sequence }, true)
      if (persist) persistOrder('asks', provider, record)
      return true
    },
    pin: (provider, hash) => {
      const record = askRecords.get(provider)
      if (!record || record.entry.hash !== hash || record.own) return
      record.own = true
      ownAsks++
      persistOrder('asks', provider, record)
    },
    removeAsk,
    setBacking: (record, backed, available) => {
      if (askRecords.get(record.entry.ask.provider) !== record) return
      if (available !== undefined) record.available = available
      record.backed = backed
      if (!backed) removeAsk(record.entry.ask.provider, 'unbacked')
    },
    insertBid: (record, persist) => {
      if (!record.own && bidRecords.size - ownBids >= maxOrders && !evictBid(record.entry.signed.bid.expiry)) return false
      bidRecords.set(record.entry.hash, record)
      if (record.own) ownBids++
      sortedKeys.bids = undefined
      if (persist) persistOrder('bids', record.entry.hash, record)
      return true
    },
    removeBid,
    cancel: (provider, signed, bytes, persist) => {
      updateProvider(provider, { cancelNonce: signed.cancel.cancelNonce, cancel: { signed, bytes } }, persist)
      const voided = askRecords.get(provider)
      let hash: Hex | undefined
      if (voided && voided.entry.ask.cancelNonce < signed.cancel.cancelNonce) {
        hash = voided.entry.hash
        removeAsk(provider, 'cancelled')
      }
      sortedKeys.asks = undefined
      return hash
    },
    restoreProvider: (provider, record) => void providers.set(provider, record),
    restoreReceivedAt: (book, key, receivedAt) => {
      const record = book === 'asks' ? askRecords.get(key) : bidRecords.get(key as Hex)
      if (record) record.receivedAt = receivedAt
    },
    pruneExpired: (at, forgetBefore) => {
      for (const [provider, record] of askRecords) if (at >= record.entry.ask.expiry) removeAsk(provider, 'expired')
      for (const [hash, record] of bidRecords) if (at >= record.entry.signed.bid.expiry) removeBid(hash, 'expired')
      for (const [provider, record] of providers) {
        if (record.updatedAt < forgetBefore && !askRecords.has(provider)) {
          providers.delete(provider)
          sortedKeys.asks = undefined
          bookStore.del('providers', provider)
        }
      }
    },
    countAccepted: (kind) => void counters.accepted[kind]++,
    countRejected: (reason) => void (counters.rejected[reason] = (counters.rejected[reason] ?? 0) + 1),
    stats: () => ({
      asks: askRecords.size,
      bids: bidRecords.size,
      providers: providers.size,
      own: { asks: ownAsks, bids: ownBids },
      accepted: { ...counters.accepted },
      rejected: { ...counters.rejected },
      removed: { ...counters.removed },
    }),
  }
}

