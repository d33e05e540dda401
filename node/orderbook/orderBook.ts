import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import { TypedEventEmitter, type PeerId, type TypedEventTarget } from '@libp2p/interface'
import type { Address, Hex } from 'viem'
import { DEFAULT_MAX_CLOCK_SKEW_SEC, DEFAULT_MAX_ORDER_HORIZON_SEC } from '../../protocol/constants.ts'
import { encodeMessage } from '../../protocol/codec/encodeMessage.ts'
import { decodeMessage } from '../../protocol/codec/decodeMessage.ts'
import { SYNC_PROTOCOL } from '../../protocol/protocols.ts'
import { marketTopics, topicMessageTypes } from '../../protocol/topics.ts'
import type { AskEntry, SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { Message, MessageType } from '../../protocol/types/messages.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import type { GossipAction } from '../../protocol/validation/orderRejection.ts'
import { validateAsk } from '../../protocol/validation/validateAsk.ts'
import { validateAskCancel } from '../../protocol/validation/validateAskCancel.ts'
import { validateBid } from '../../protocol/validation/validateBid.ts'
import type { Deployment } from '../chain/deployment.ts'
import { logger } from '../log/logger.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import { askResourceClasses, provideResourceClasses, type ResourceClass } from '../p2p/resourceClasses.ts'
import type { Store } from '../store/openStore.ts'
import type { Backing } from './backing.ts'
import { createBookStore, type BookStore, type StoredOrder, type StoredProvider } from './bookStore.ts'
import { OrderRejectedError } from './errors.ts'
import { createRateLimiter, type Rate, type RateLimiter } from './rateLimiter.ts'
import { BookRejection, bookRejectionAction } from './rejection.ts'
import { createSyncHandler, fetchBook, orderJsonSize, type SyncBook, type SyncItem } from './sync.ts'
import { askCancelDigest, askDigest, bidDigest, bytesToHex } from './typedDataHasher.ts'
import { recoverSigner } from './recoverSigner.ts'
import { decodeOrder } from './verifyOrder.ts'

/** What the order book needs from the node: its host, its store, the market and the backing check. */
export type OrderBookComponents = {
  host: P2PHost
  store: Store
  /** The market served: its chain id and address name the topics and sign every order. */
  deployment: Pick<Deployment, 'chainId' | 'market'>
  backing: Backing
}

/** The order book's limits and timers; every field has a default. */
export type OrderBookInit = {
  /** Most asks held, and most bids held, besides the node's own (default 10 000 each). */
  maxOrders?: number
  /** Furthest expiry accepted, seconds from now (default `DEFAULT_MAX_ORDER_HORIZON_SEC`). */
  maxHorizonSec?: number
  /** Clock difference tolerated between peers, seconds (default `DEFAULT_MAX_CLOCK_SKEW_SEC`). */
  maxClockSkewSec?: number
  /** An ask is kept only if its provider can back this much deal collateral (default 1). */
  minBacking?: bigint
  /** Gossip each peer may forward to us (default 500/s, bursts of 1 000); above it, `reject`. */
  perPeerRate?: Rate
  /** Gossip whose signature this node checks (default 500/s, bursts of 1 000); above it, `ignore`. */
  globalRate?: Rate
  /** Orders one provider or client may publish (default 2/s, bursts of 20); above it, `ignore`. */
  perMakerRate?: Rate
  /** Sync pages each peer may fetch from us (default 20/s, bursts of 40). */
  syncRate?: Rate
  /** Peers one sync pulls from (default 3). */
  syncPeers?: number
  /** Longest a sync from one peer may take, ms (default 15 000). */
  syncTimeoutMs?: number
  /** Sync from the first peers that connect after start (default true). */
  autoSync?: boolean
  /** Record the node's own asks' resource classes in the DHT (default true). */
  advertise?: boolean
  /** How often expired orders are pruned and backing re-checked, ms (default 10 000). */
  pruneInterval?: number
  /** The clock, unix seconds. */
  now?: () => number
}

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
  removed: CustomEvent<{ book: SyncBook; hash: Hex; reason: RemovalReason }>
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

type AskRecord = { entry: BookAsk; bytes: Uint8Array; receivedAt: number; own: boolean; backed: boolean; available?: bigint | undefined }
type BidRecord = { entry: BookBid; bytes: Uint8Array; receivedAt: number; own: boolean }
type ProviderRecord = { sequence?: number | undefined; cancelNonce?: number | undefined; cancel?: { signed: SignedAskCancel; bytes: Uint8Array } | undefined; updatedAt: number }
type Context = { source: OrderSource; from?: string | undefined; own?: boolean }
type Admission = { accepted: true } | { accepted: false; reason: BookRejection; cause?: unknown }

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64')
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))
const refuse = (reason: BookRejection, cause?: unknown): Admission => ({ accepted: false, reason, cause })

class DefaultOrderBook extends TypedEventEmitter<OrderBookEvents> implements OrderBook {
  private readonly host: P2PHost
  private readonly backing: Backing
  private readonly market: MarketParameters
  private readonly topics: { asks: string; bids: string }
  private readonly bookStore: BookStore
  private readonly log = logger('orderbook')
  private readonly maxOrders: number
  private readonly maxHorizonSec: number
  private readonly maxClockSkewSec: number
  private readonly minBacking: bigint
  private readonly syncPeers: number
  private readonly syncTimeoutMs: number
  private readonly autoSync: boolean
  private readonly advertise: boolean
  private readonly pruneInterval: number
  private readonly now: () => number
  private readonly perPeer: RateLimiter
  private readonly global: RateLimiter
  private readonly perMaker: RateLimiter
  private readonly syncHandler: ReturnType<typeof createSyncHandler>

  private readonly askRecords = new Map<string, AskRecord>()
  private readonly askProviders = new Map<Hex, string>()
  private readonly bidRecords = new Map<Hex, BidRecord>()
  private readonly providers = new Map<string, ProviderRecord>()
  private readonly advertised = new Set<ResourceClass>()
  private sortedKeys: { asks?: string[] | undefined; bids?: string[] | undefined } = {}
  private ownAsks = 0
  private ownBids = 0
  private readonly counters = {
    accepted: { asks: 0, bids: 0, cancels: 0 },
    rejected: {} as Record<string, number>,
    removed: { expired: 0, evicted: 0, replaced: 0, cancelled: 0, unbacked: 0 } as Record<RemovalReason, number>,
  }
  private controller = new AbortController()
  private pruneTimer: NodeJS.Timeout | undefined
  private pruning: Promise<void> | undefined
  private autoSynced = false
  private started = false

  constructor({ host, store, deployment, backing }: OrderBookComponents, init: OrderBookInit = {}) {
    super()
    this.host = host
    this.backing = backing
    this.market = { chainId: deployment.chainId, market: deployment.market.toLowerCase() as Address }
    this.topics = marketTopics(this.market)
    this.bookStore = createBookStore(store, (error) => this.log.error('store write failed: %s', (error as Error).message))
    this.maxOrders = init.maxOrders ?? 10_000
    this.maxHorizonSec = init.maxHorizonSec ?? DEFAULT_MAX_ORDER_HORIZON_SEC
    this.maxClockSkewSec = init.maxClockSkewSec ?? DEFAULT_MAX_CLOCK_SKEW_SEC
    this.minBacking = init.minBacking ?? 1n
    this.syncPeers = init.syncPeers ?? 3
    this.syncTimeoutMs = init.syncTimeoutMs ?? 15_000
    this.autoSync = init.autoSync ?? true
    this.advertise = init.advertise ?? true
    this.pruneInterval = init.pruneInterval ?? 10_000
    this.now = init.now ?? (() => Math.floor(Date.now() / 1000))
    this.perPeer = createRateLimiter(init.perPeerRate ?? { perSec: 500, burst: 1_000 })
    this.global = createRateLimiter(init.globalRate ?? { perSec: 500, burst: 1_000 })
    this.perMaker = createRateLimiter(init.perMakerRate ?? { perSec: 2, burst: 20 })
    this.syncHandler = createSyncHandler({
      market: this.market,
      source: { keys: (book) => this.keys(book), item: (book, key) => this.syncItem(book, key) },
      rate: init.syncRate,
      log: this.log,
    })
  }

  // ---------------------------------------------------------------- lifecycle

  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    this.controller = new AbortController()
    this.autoSynced = false
    await this.load()
    const pubsub = this.host.services.pubsub
    pubsub.topicValidators.set(this.topics.asks, (peer, message) => this.validate('asks', peer, message))
    pubsub.topicValidators.set(this.topics.bids, (peer, message) => this.validate('bids', peer, message))
    pubsub.subscribe(this.topics.asks)
    pubsub.subscribe(this.topics.bids)
    await this.host.handle(SYNC_PROTOCOL, this.syncHandler, { maxInboundStreams: 4, maxOutboundStreams: 4 })
    this.pruneTimer = setInterval(() => void this.prune(), this.pruneInterval)
    this.pruneTimer.unref()
    void this.prune()
    if (this.autoSync) {
      this.host.addEventListener('peer:identify', this.onPeer)
      if (this.host.getPeers().length) this.onPeer()
    }
  }

  async stop(): Promise<void> {
    if (!this.started) return
    this.started = false
    this.controller.abort(new Error('the order book stopped'))
    clearInterval(this.pruneTimer)
    this.host.removeEventListener('peer:identify', this.onPeer)
    const pubsub = this.host.services.pubsub
    for (const topic of [this.topics.asks, this.topics.bids]) {
      pubsub.topicValidators.delete(topic)
      pubsub.unsubscribe(topic)
    }
    await this.host.unhandle(SYNC_PROTOCOL).catch(() => {})
    await this.pruning
    await this.bookStore.flush()
  }

  private readonly onPeer = () => {
    if (this.autoSynced) return
    this.autoSynced = true
    setTimeout(() => {
      if (!this.started) return
      this.sync({ signal: this.controller.signal }).then(
        (added) => this.log('synced %d asks and %d bids on joining', added.asks, added.bids),
        (error) => this.log('sync on joining failed: %s', (error as Error).message),
      )
    }, 200).unref()
  }

  // ------------------------------------------------------------------- reads

  asks(): BookAsk[] {
    const now = this.now()
    const asks: BookAsk[] = []
    for (const record of this.askRecords.values())
      if (now < record.entry.ask.expiry && (record.own || record.backed)) asks.push(record.entry)
    return asks
  }

  bids(): BookBid[] {
    const now = this.now()
    const bids: BookBid[] = []
    for (const record of this.bidRecords.values()) if (now < record.entry.signed.bid.expiry) bids.push(record.entry)
    return bids
  }

  getAsk(hash: Hex): BookAsk | undefined {
    const provider = this.askProviders.get(hash.toLowerCase() as Hex)
    const record = provider === undefined ? undefined : this.askRecords.get(provider)
    if (!record || this.now() >= record.entry.ask.expiry || !(record.own || record.backed)) return undefined
    return record.entry
  }

  stats(): OrderBookStats {
    return {
      asks: this.askRecords.size,
      bids: this.bidRecords.size,
      providers: this.providers.size,
      own: { asks: this.ownAsks, bids: this.ownBids },
      accepted: { ...this.counters.accepted },
      rejected: { ...this.counters.rejected },
      removed: { ...this.counters.removed },
    }
  }

  // ----------------------------------------------------------------- publish

  async publishAsk(signed: SignedAsk, options: { signal?: AbortSignal } = {}): Promise<void> {
    const message = await this.publishOwn({ type: 'ask', body: signed }, this.topics.asks, options)
    if (this.advertise) this.advertiseClasses(askResourceClasses((message.body as SignedAsk).ask))
  }

  async publishBid(signed: SignedBid, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.publishOwn({ type: 'bid', body: signed }, this.topics.bids, options)
  }

  async publishCancel(signed: SignedAskCancel, options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.publishOwn({ type: 'ask-cancel', body: signed }, this.topics.asks, options)
  }

  private async publishOwn(message: Message<'ask' | 'bid' | 'ask-cancel'>, topic: string, { signal }: { signal?: AbortSignal }) {
    signal?.throwIfAborted()
    const bytes = encodeMessage(message)
    // The decoded form is the wire's canonical one (lowercase hex), as peers will hold it.
    const canonical = decodeMessage(bytes, { accept: ['ask', 'bid', 'ask-cancel'] })
    const admission = await this.admit(canonical, bytes, { source: 'local', own: true })
    // Publishing what the book already holds gossips it again (after a restart, say); anything else refused is an error.
    if (!admission.accepted && admission.reason !== BookRejection.Duplicate) throw new OrderRejectedError({ type: message.type, reason: admission.reason, cause: admission.cause })
    signal?.throwIfAborted()
    await this.host.services.pubsub.publish(topic, bytes)
    return canonical
  }

  private advertiseClasses(classes: ResourceClass[]) {
    const fresh = classes.filter((resourceClass) => !this.advertised.has(resourceClass))
    if (!fresh.length) return
    for (const resourceClass of fresh) this.advertised.add(resourceClass)
    provideResourceClasses(this.host, { ...this.market, classes: fresh, signal: this.controller.signal }).then(
      () => this.log('advertised %s in the DHT', fresh.join(', ')),
      (error) => {
        for (const resourceClass of fresh) this.advertised.delete(resourceClass)
        this.log('advertising %s failed: %s', fresh.join(', '), (error as Error).message)
      },
    )
  }

  // -------------------------------------------------------------- validation

  private async validate(topic: SyncBook, peer: PeerId, message: GossipMessage): Promise<TopicValidatorResult> {
    const context: Context = { source: 'gossip', from: peer.toString() }
    if (!this.perPeer.take(context.from!)) return this.verdict(this.rejected(BookRejection.PeerRateLimited, context, undefined))
    const decoded = decodeOrder(message.data, topicMessageTypes[topic])
    if (!decoded.valid) return this.verdict(this.rejected(decoded.reason, context, undefined, decoded.cause))
    return this.verdict(await this.admit(decoded.message, message.data, context))
  }

  private verdict(admission: Admission): TopicValidatorResult {
    if (admission.accepted) return TopicValidatorResult.Accept
    return bookRejectionAction[admission.reason] === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
  }

  private rejected(reason: BookRejection, context: Context, type: MessageType | undefined, cause?: unknown): Admission {
    // A sync or a republish of what the book already holds is not a refusal worth counting.
    const known = reason === BookRejection.Duplicate || (reason === BookRejection.Stale && context.source === 'sync')
    if (!(known && context.source !== 'gossip')) {
      this.counters.rejected[reason] = (this.counters.rejected[reason] ?? 0) + 1
      const action = bookRejectionAction[reason]
      this.log.trace('%s %s from %s: %s (%s)', context.source, type ?? 'message', context.from ?? 'us', reason, action)
      this.safeDispatchEvent('rejected', { detail: { reason, action, source: context.source, from: context.from, type } })
    }
    return refuse(reason, cause)
  }

  /** Every check and the book's update, for an order from gossip, sync, ourselves or the store. */
  private admit(message: Message<'ask' | 'bid' | 'ask-cancel'>, bytes: Uint8Array, context: Context): Promise<Admission> {
    switch (message.type) {
      case 'ask':
        return this.admitAsk(message.body, bytes, context)
      case 'bid':
        return this.admitBid(message.body, bytes, context)
      case 'ask-cancel':
        return this.admitCancel(message.body, bytes, context)
    }
  }

  private checkAsk(signed: SignedAsk, context: Context): BookRejection | undefined {
    const provider = this.providers.get(signed.ask.provider)
    const result = validateAsk(signed, {
      ...this.market,
      now: this.now(),
      maxHorizonSec: this.maxHorizonSec,
      maxClockSkewSec: this.maxClockSkewSec,
      known: context.source === 'store' ? { cancelNonce: provider?.cancelNonce } : provider,
    })
    return result.valid ? undefined : result.reason
  }

  /** The signature, rate limits and their order, shared by every order type. */
  private async authenticate(digest: Uint8Array, maker: string, signature: Hex, context: Context): Promise<BookRejection | undefined> {
    const gossip = context.source === 'gossip'
    if (gossip && !this.perMaker.has(maker)) return BookRejection.MakerRateLimited
    if (gossip && !this.global.take('')) return BookRejection.RateLimited
    try {
      if ((await recoverSigner(digest, signature)) !== maker) return BookRejection.BadSignature
    } catch {
      return BookRejection.BadSignature
    }
    if (gossip) this.perMaker.take(maker)
    return undefined
  }

  private async admitAsk(signed: SignedAsk, bytes: Uint8Array, context: Context): Promise<Admission> {
    const { ask } = signed
    const provider = ask.provider
    const stale = (hash: Hex) => (this.askRecords.get(provider)?.entry.hash === hash ? BookRejection.Duplicate : BookRejection.Stale)
    let reason = this.checkAsk(signed, context)
    if (reason && reason !== BookRejection.Stale) return this.rejected(reason, context, 'ask')
    const digest = askDigest(ask, this.market)
    const hash = bytesToHex(digest)
    if (reason) {
      if (context.own) this.pin(provider, hash)
      return this.rejected(stale(hash), context, 'ask')
    }
    if (context.source !== 'store') {
      const failed = await this.authenticate(digest, provider, signed.signature, context)
      if (failed) return this.rejected(failed, context, 'ask')
    }
    let available: bigint | undefined
    let backed = true
    if (!context.own && context.source !== 'store') {
      try {
        backed = await this.backing.canBack(provider, this.minBacking)
        if (backed && this.backing.available) available = await this.backing.available(provider)
      } catch (cause) {
        this.log.error('backing check of %s failed: %s', provider, (cause as Error).message)
        return this.rejected(BookRejection.Unbacked, context, 'ask', cause)
      }
      if (!backed) return this.rejected(BookRejection.Unbacked, context, 'ask')
    }
    // Other orders of this provider may have landed while the checks awaited.
    reason = this.checkAsk(signed, context)
    if (reason) return this.rejected(reason === BookRejection.Stale ? stale(hash) : reason, context, 'ask')
    const previous = this.askRecords.get(provider)
    const own = Boolean(context.own)
    if (!previous && !own && this.askRecords.size - this.ownAsks >= this.maxOrders && !this.evictAsk(available))
      return this.rejected(BookRejection.BookFull, context, 'ask')
    if (previous) this.removeAsk(provider, 'replaced')
    const record: AskRecord = { entry: { ask, hash, signed }, bytes, receivedAt: Date.now(), own, backed, available }
    this.askRecords.set(provider, record)
    this.askProviders.set(hash, provider)
    if (record.own) this.ownAsks++
    this.sortedKeys.asks = undefined
    this.updateProvider(provider, { sequence: ask.sequence })
    if (context.source !== 'store') this.bookStore.put('asks', provider, { message: toBase64(bytes), receivedAt: record.receivedAt, own: record.own })
    this.counters.accepted.asks++
    this.safeDispatchEvent('ask', { detail: { ...record.entry, source: context.source } })
    return { accepted: true }
  }

  /** Marks an ask the book already holds as the node's own. */
  private pin(provider: string, hash: Hex) {
    const record = this.askRecords.get(provider)
    if (!record || record.entry.hash !== hash || record.own) return
    record.own = true
    this.ownAsks++
    this.bookStore.put('asks', provider, { message: toBase64(record.bytes), receivedAt: record.receivedAt, own: true })
  }

  /** Makes room for an ask backed by `available`: evicts the least backed one below it. */
  private evictAsk(available: bigint | undefined): boolean {
    let least: AskRecord | undefined
    for (const record of this.askRecords.values()) {
      if (record.own) continue
      if (!least || (record.available ?? 0n) < (least.available ?? 0n)) least = record
    }
    if (!least || available === undefined || (least.available ?? 0n) >= available) return false
    this.removeAsk(least.entry.ask.provider, 'evicted')
    return true
  }

  private removeAsk(provider: string, reason: RemovalReason) {
    const record = this.askRecords.get(provider)
    if (!record) return
    this.askRecords.delete(provider)
    this.askProviders.delete(record.entry.hash)
    if (record.own) this.ownAsks--
    this.sortedKeys.asks = undefined
    this.bookStore.del('asks', provider)
    this.counters.removed[reason]++
    this.safeDispatchEvent('removed', { detail: { book: 'asks', hash: record.entry.hash, reason } })
  }

  private async admitCancel(signed: SignedAskCancel, bytes: Uint8Array, context: Context): Promise<Admission> {
    const { provider, cancelNonce } = signed.cancel
    const check = () => validateAskCancel(signed, { ...this.market, known: this.providers.get(provider) })
    let result = check()
    if (!result.valid) return this.rejected(result.reason, context, 'ask-cancel')
    if (context.source !== 'store') {
      const failed = await this.authenticate(askCancelDigest(signed.cancel, this.market), provider, signed.signature, context)
      if (failed) return this.rejected(failed, context, 'ask-cancel')
    }
    // Cancels of providers the book does not know must come from backed ones, or anyone could fill it with them.
    if (!context.own && context.source !== 'store' && !this.providers.has(provider)) {
      const backed = await this.backing.canBack(provider, this.minBacking).catch(() => false)
      if (!backed) return this.rejected(BookRejection.Unbacked, context, 'ask-cancel')
    }
    result = check()
    if (!result.valid) return this.rejected(result.reason, context, 'ask-cancel')
    this.updateProvider(provider, { cancelNonce, cancel: { signed, bytes } }, context.source === 'store')
    const voided = this.askRecords.get(provider)
    let removed: Hex | undefined
    if (voided && voided.entry.ask.cancelNonce < cancelNonce) {
      removed = voided.entry.hash
      this.removeAsk(provider, 'cancelled')
    }
    this.sortedKeys.asks = undefined
    this.counters.accepted.cancels++
    this.safeDispatchEvent('cancel', { detail: { signed, removed, source: context.source } })
    return { accepted: true }
  }

  private async admitBid(signed: SignedBid, bytes: Uint8Array, context: Context): Promise<Admission> {
    const { bid } = signed
    const check = () =>
      validateBid(signed, { ...this.market, now: this.now(), maxHorizonSec: this.maxHorizonSec, maxClockSkewSec: this.maxClockSkewSec })
    let result = check()
    if (!result.valid) return this.rejected(result.reason, context, 'bid')
    const digest = bidDigest(bid, this.market)
    const hash = bytesToHex(digest)
    if (this.bidRecords.has(hash)) return this.rejected(BookRejection.Duplicate, context, 'bid')
    if (context.source !== 'store') {
      const failed = await this.authenticate(digest, bid.client, signed.signature, context)
      if (failed) return this.rejected(failed, context, 'bid')
    }
    result = check()
    if (!result.valid) return this.rejected(result.reason, context, 'bid')
    if (this.bidRecords.has(hash)) return this.rejected(BookRejection.Duplicate, context, 'bid')
    if (!context.own && this.bidRecords.size - this.ownBids >= this.maxOrders && !this.evictBid(bid.expiry))
      return this.rejected(BookRejection.BookFull, context, 'bid')
    const record: BidRecord = { entry: { hash, signed }, bytes, receivedAt: Date.now(), own: Boolean(context.own) }
    this.bidRecords.set(hash, record)
    if (record.own) this.ownBids++
    this.sortedKeys.bids = undefined
    if (context.source !== 'store') this.bookStore.put('bids', hash, { message: toBase64(bytes), receivedAt: record.receivedAt, own: record.own })
    this.counters.accepted.bids++
    this.safeDispatchEvent('bid', { detail: { ...record.entry, source: context.source } })
    return { accepted: true }
  }

  /** Makes room for a bid that expires at `expiry`: evicts the one expiring soonest, if sooner. */
  private evictBid(expiry: number): boolean {
    let soonest: BidRecord | undefined
    for (const record of this.bidRecords.values())
      if (!record.own && (!soonest || record.entry.signed.bid.expiry < soonest.entry.signed.bid.expiry)) soonest = record
    if (!soonest || soonest.entry.signed.bid.expiry >= expiry) return false
    this.removeBid(soonest.entry.hash, 'evicted')
    return true
  }

  private removeBid(hash: Hex, reason: RemovalReason) {
    const record = this.bidRecords.get(hash)
    if (!record) return
    this.bidRecords.delete(hash)
    if (record.own) this.ownBids--
    this.sortedKeys.bids = undefined
    this.bookStore.del('bids', hash)
    this.counters.removed[reason]++
    this.safeDispatchEvent('removed', { detail: { book: 'bids', hash, reason } })
  }

  private updateProvider(provider: string, change: Partial<ProviderRecord>, loading = false) {
    const record: ProviderRecord = { ...this.providers.get(provider), ...change, updatedAt: this.now() }
    this.providers.set(provider, record)
    if (loading) return
    this.bookStore.put('providers', provider, {
      sequence: record.sequence,
      cancelNonce: record.cancelNonce,
      cancel: record.cancel ? toBase64(record.cancel.bytes) : undefined,
      updatedAt: record.updatedAt,
    })
  }

  // -------------------------------------------------------------------- sync

  async sync({ signal, peers }: { signal?: AbortSignal; peers?: PeerId[] } = {}): Promise<{ asks: number; bids: number }> {
    const candidates = peers ?? shuffle(this.host.getPeers()).slice(0, this.syncPeers)
    const added = { asks: 0, bids: 0 }
    const results = await Promise.allSettled(
      candidates.map(async (peer) => {
        const from = peer.toString()
        const context: Context = { source: 'sync', from }
        const peerSignal = AbortSignal.any([this.controller.signal, AbortSignal.timeout(this.syncTimeoutMs), ...(signal ? [signal] : [])])
        const pages = fetchBook(this.host, peer, { market: this.market, books: ['asks', 'bids'], maxPages: this.maxOrders + 1, signal: peerSignal })
        for await (const { page } of pages) {
          // Cancels first, so that asks they void are refused.
          for (const cancel of page.cancels) await this.admitCancel(cancel, encodeMessage({ type: 'ask-cancel', body: cancel }), context)
          for (const ask of page.asks)
            if ((await this.admitAsk(ask, encodeMessage({ type: 'ask', body: ask }), context)).accepted) added.asks++
          for (const bid of page.bids)
            if ((await this.admitBid(bid, encodeMessage({ type: 'bid', body: bid }), context)).accepted) added.bids++
        }
      }),
    )
    results.forEach((result, index) => {
      if (result.status === 'rejected') this.log('sync from %s failed: %s', candidates[index]!.toString(), (result.reason as Error).message)
    })
    if (candidates.length && results.every((result) => result.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason
    return added
  }

  private keys(book: SyncBook): readonly string[] {
    let keys = this.sortedKeys[book]
    if (!keys) {
      keys =
        book === 'bids'
          ? [...this.bidRecords.keys()].sort()
          : [...new Set([...this.askRecords.keys(), ...[...this.providers].filter(([, record]) => record.cancel).map(([provider]) => provider)])].sort()
      this.sortedKeys[book] = keys
    }
    return keys
  }

  private syncItem(book: SyncBook, key: string): SyncItem | undefined {
    const now = this.now()
    if (book === 'bids') {
      const record = this.bidRecords.get(key as Hex)
      if (!record || now >= record.entry.signed.bid.expiry) return undefined
      return { bid: { body: record.entry.signed, size: orderJsonSize(record.bytes) } }
    }
    const item: SyncItem = {}
    const record = this.askRecords.get(key)
    if (record && now < record.entry.ask.expiry && (record.own || record.backed))
      item.ask = { body: record.entry.signed, size: orderJsonSize(record.bytes) }
    const cancel = this.providers.get(key)?.cancel
    if (cancel) item.cancel = { body: cancel.signed, size: orderJsonSize(cancel.bytes) }
    return item.ask || item.cancel ? item : undefined
  }

  // ------------------------------------------------------ storage and expiry

  private async load(): Promise<void> {
    const stored = await this.bookStore.load()
    const context: Context = { source: 'store' }
    for (const [provider, record] of stored.providers) this.loadProvider(provider, record)
    for (const [key, record] of stored.asks) await this.loadOrder('asks', key, record, context)
    for (const [key, record] of stored.bids) await this.loadOrder('bids', key, record, context)
    this.log('loaded %d asks, %d bids and %d providers from the store', this.askRecords.size, this.bidRecords.size, this.providers.size)
  }

  private loadProvider(provider: string, stored: StoredProvider) {
    let cancel: ProviderRecord['cancel']
    if (stored.cancel) {
      try {
        const bytes = fromBase64(stored.cancel)
        cancel = { signed: decodeMessage(bytes, { accept: ['ask-cancel'] }).body, bytes }
      } catch {}
    }
    this.providers.set(provider, { sequence: stored.sequence, cancelNonce: stored.cancelNonce, cancel, updatedAt: stored.updatedAt })
  }

  private async loadOrder(book: SyncBook, key: string, stored: StoredOrder, context: Context) {
    let admission: Admission
    try {
      const bytes = fromBase64(stored.message)
      const message = decodeMessage(bytes, { accept: book === 'asks' ? ['ask'] : ['bid'] })
      admission = await this.admit(message, bytes, { ...context, own: stored.own })
    } catch (cause) {
      admission = refuse(BookRejection.Malformed, cause)
    }
    if (!admission.accepted) {
      this.bookStore.del(book, key)
      return
    }
    const record = book === 'asks' ? this.askRecords.get(key) : this.bidRecords.get(key as Hex)
    if (record) record.receivedAt = stored.receivedAt
  }

  private prune(): Promise<void> {
    this.pruning ??= this.pruneOnce().finally(() => (this.pruning = undefined))
    return this.pruning
  }

  private async pruneOnce(): Promise<void> {
    const now = this.now()
    for (const [provider, record] of this.askRecords) if (now >= record.entry.ask.expiry) this.removeAsk(provider, 'expired')
    for (const [hash, record] of this.bidRecords) if (now >= record.entry.signed.bid.expiry) this.removeBid(hash, 'expired')
    // After the horizon, every ask signed before a provider's last change has expired: its sequence and cancel can go.
    const forgetBefore = now - this.maxHorizonSec - this.maxClockSkewSec
    for (const [provider, record] of this.providers) {
      if (record.updatedAt < forgetBefore && !this.askRecords.has(provider)) {
        this.providers.delete(provider)
        this.sortedKeys.asks = undefined
        this.bookStore.del('providers', provider)
      }
    }
    this.perPeer.prune()
    this.perMaker.prune()
    this.syncHandler.prune()
    const records = [...this.askRecords.values()].filter((record) => !record.own)
    await Promise.all(
      records.map(async (record) => {
        const provider = record.entry.ask.provider
        try {
          const backed = await this.backing.canBack(provider, this.minBacking)
          if (backed && this.backing.available) record.available = await this.backing.available(provider)
          if (this.askRecords.get(provider) !== record) return
          record.backed = backed
          if (!backed) this.removeAsk(provider, 'unbacked')
        } catch (error) {
          this.log.error('backing re-check of %s failed: %s', provider, (error as Error).message)
        }
      }),
    )
  }
}

function shuffle<T>(items: readonly T[]): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

/**
 * Creates the order book of one market. On `start` it reloads what the store
 * holds (dropping what expired meanwhile), validates the market's gossip
 * topics, serves sync, and prunes on a timer.
 *
 * Gossip validation runs, cheapest first: the per-peer rate, decoding and
 * schema, market, expiry and horizon, cancel nonce and sequence, the per-maker
 * and global rates, the signature (native libsecp256k1 over a precompiled
 * EIP-712 digest), and the provider's on-chain backing; then the book is updated.
 * Each refusal has a named reason ({@link BookRejection}), counted in `stats()`,
 * and gossip is told `reject` or `ignore` ({@link bookRejectionAction}).
 *
 * @param components - Host, store, market and backing check.
 * @param init - Limits and timers.
 * @returns The order book, not started.
 * @example
 * const book = createOrderBook({ host, store, deployment, backing: createChainBacking(clients, deployment) })
 * await book.start()
 * await book.publishAsk(signedAsk)
 */
export function createOrderBook(components: OrderBookComponents, init: OrderBookInit = {}): OrderBook {
  return new DefaultOrderBook(components, init)
}
