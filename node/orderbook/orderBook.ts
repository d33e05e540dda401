import { TypedEventEmitter, type PeerId, type TypedEventTarget } from '@libp2p/interface'
import type { Registry } from 'prom-client'
import type { Address, Hex } from 'viem'
import { decodeMessage } from '../../protocol/codec/decodeMessage.ts'
import { encodeMessage } from '../../protocol/codec/encodeMessage.ts'
import { marketTopics } from '../../protocol/topics.ts'
import type { SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import type { Deployment } from '../chain/deployment.ts'
import { logger as createLogger, type Logger } from '../log/logger.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import type { Store } from '../store/openStore.ts'
import { createAdmission, type AdmissionInit } from './admission.ts'
import { createAdmit, type AdmitInit, type OrderMessage } from './admit.ts'
import { createAdverts, type AdvertsInit } from './adverts.ts'
import type { Backing } from './backing.ts'
import { createBackingMonitor, type BackingMonitorInit } from './backingMonitor.ts'
import { createBookState, defaultBookStateInit, type BookStateInit } from './bookState.ts'
import { createBookStore, restoreBook, type BookStoreInit } from './bookStore.ts'
import { OrderRejectedError } from './errors.ts'
import { createGossip, type GossipInit } from './gossip.ts'
import { createOrderBookMetrics, noOrderBookMetrics } from './metrics.ts'
import { BookRejection } from './rejection.ts'
import { createSync, type SyncInit } from './sync.ts'
import { systemNow, type BookAsk, type BookBid, type BookSide, type OrderBookEvents, type OrderBookStats } from './types.ts'

export type { BookAsk, BookBid, OrderBookEvents, OrderBookStats, OrderSource, RemovalReason } from './types.ts'

/** What the order book needs from the node: its host, its store, the market and the backing check. */
export type OrderBookComponents = {
  host: P2PHost
  store: Store
  /** The market served: its chain id and address name the topics and sign every order. */
  deployment: Pick<Deployment, 'chainId' | 'market'>
  backing: Backing
  /** The node's metrics registry; without it the book records no metrics. */
  registry?: Registry | undefined
  /** Defaults to `allot:orderbook`. */
  logger?: Logger | undefined
}

/**
 * The order book's limits and timers, every one optional: each part's own
 * `default…Init` (admission, book state, gossip, sync, backing monitor,
 * adverts, store) holds its defaults.
 */
export type OrderBookInit = AdmissionInit &
  AdmitInit &
  BookStateInit &
  GossipInit &
  Omit<SyncInit, 'maxPages'> &
  BackingMonitorInit &
  AdvertsInit &
  BookStoreInit

/** The market's order book: gossip validation, admission, storage, sync. */
export interface OrderBook extends TypedEventTarget<OrderBookEvents> {
  start(): Promise<void>
  stop(): Promise<void>
  /** Valid, unexpired asks of backed providers, newest sequence per provider. */
  asks(): BookAsk[]
  /** Unexpired bids. */
  bids(): BookBid[]
  getAsk(hash: Hex): BookAsk | undefined
  /** Stores an ask as our own (pinned, never evicted) and gossips it. */
  publishAsk(signed: SignedAsk, options?: { signal?: AbortSignal }): Promise<void>
  publishBid(signed: SignedBid, options?: { signal?: AbortSignal }): Promise<void>
  publishCancel(signed: SignedAskCancel, options?: { signal?: AbortSignal }): Promise<void>
  /** Pulls the book from connected peers over `SYNC_PROTOCOL` (paginated); returns the counts added. */
  sync(options?: { signal?: AbortSignal; peers?: PeerId[] }): Promise<{ asks: number; bids: number }>
  stats(): OrderBookStats
}

/**
 * Creates the order book of one market, from its parts (each in its own file):
 * the store (`bookStore.ts`: batched writes, reload), the book's state
 * (`bookState.ts`: records, eviction, pinning, counters), admission
 * (`admission.ts`: the protocol's checks, rate limits, signatures) and the
 * pipeline that orders them (`admit.ts`), gossip (`gossip.ts`: validators,
 * verdicts, publishing), sync (`sync.ts`: both sides), the backing monitor
 * (`backingMonitor.ts`: expiry and on-chain backing on a timer) and DHT adverts
 * (`adverts.ts`). On `start` it reloads the store, then starts the parts in
 * that order; `stop` stops them in reverse and flushes the store.
 *
 * Gossip validation runs, cheapest first: the per-peer rate, decoding and
 * schema, market, expiry and horizon, cancel nonce and sequence, the per-maker
 * and global rates, the signature (native libsecp256k1 over a precompiled
 * EIP-712 digest), and the provider's on-chain backing; then the book is updated.
 * Each refusal has a named reason ({@link BookRejection}), counted in `stats()`
 * and in `allot_orders_rejected_total`, and gossip is told `reject` or `ignore`.
 *
 * @param components - Host, store, market, backing check, and optionally the metrics registry.
 * @param init - Limits and timers.
 * @returns The order book, not started.
 * @example
 * const book = createOrderBook({ host, store, deployment, backing: createChainBacking(clients, deployment), registry })
 * await book.start()
 * await book.publishAsk(signedAsk)
 */
export function createOrderBook({ host, store, deployment, backing, registry, logger }: OrderBookComponents, init: OrderBookInit = {}): OrderBook {
  const log = logger ?? createLogger('orderbook')
  const market: MarketParameters = { chainId: deployment.chainId, market: deployment.market.toLowerCase() as Address }
  const now = init.now ?? systemNow
  const events = new TypedEventEmitter<OrderBookEvents>()
  const bookStore = createBookStore({ store, logger: log }, init)
  const state = createBookState({ bookStore, events, logger: log }, init)
  const metrics = registry ? createOrderBookMetrics({ registry, sizes: () => state.stats() }) : noOrderBookMetrics
  const admission = createAdmission({ market, logger: log }, init)
  const admit = createAdmit({ market, admission, state, backing, events, metrics, logger: log }, init)
  const gossip = createGossip({ host, topics: marketTopics(market), admit, metrics, logger: log }, init)
  const source = { keys: state.keys, item: (book: BookSide, key: string) => state.syncItem(book, key, now()) }
  const sync = createSync({ host, market, source, admit, logger: log }, { ...init, maxPages: (init.maxOrders ?? defaultBookStateInit.maxOrders) + 1 })
  const monitor = createBackingMonitor({ state, backing, logger: log }, init)
  const adverts = createAdverts({ host, market, logger: log }, init)
  const parts = [bookStore, state, admission, gossip, sync, monitor, adverts]
  let started = false

  const publishOwn = async (message: OrderMessage, book: BookSide, { signal }: { signal?: AbortSignal }) => {
    signal?.throwIfAborted()
    const bytes = encodeMessage(message)
    // The decoded form is the wire's canonical one (lowercase hex), as peers will hold it.
    const canonical = decodeMessage(bytes, { accept: ['ask', 'bid', 'ask-cancel'] })
    const result = await admit.admit(canonical, bytes, { source: 'local', own: true })
    // Publishing what the book already holds gossips it again (after a restart, say); anything else refused is an error.
    if (!result.accepted && result.reason !== BookRejection.Duplicate) throw new OrderRejectedError({ type: message.type, reason: result.reason, cause: result.cause })
    signal?.throwIfAborted()
    await gossip.publish(book, bytes)
    return canonical
  }

  return Object.assign(events, {
    start: async () => {
      if (started) return
      started = true
      await restoreBook({ bookStore, state, admit, logger: log })
      for (const part of parts) await part.start()
    },
    stop: async () => {
      if (!started) return
      started = false
      for (const part of [...parts].reverse()) await part.stop()
    },
    asks: () => state.asks(now()),
    bids: () => state.bids(now()),
    getAsk: (hash: Hex) => {
      const record = state.askByHash(hash)
      if (!record || now() >= record.entry.ask.expiry || !(record.own || record.backed)) return undefined
      return record.entry
    },
    stats: () => state.stats(),
    sync: sync.sync,
    publishAsk: async (signed: SignedAsk, options: { signal?: AbortSignal } = {}) => {
      const message = await publishOwn({ type: 'ask', body: signed }, 'asks', options)
      adverts.advertise((message.body as SignedAsk).ask)
    },
    publishBid: async (signed: SignedBid, options: { signal?: AbortSignal } = {}) => {
      await publishOwn({ type: 'bid', body: signed }, 'bids', options)
    },
    publishCancel: async (signed: SignedAskCancel, options: { signal?: AbortSignal } = {}) => {
      await publishOwn({ type: 'ask-cancel', body: signed }, 'asks', options)
    },
  })
}
