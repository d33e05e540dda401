import type { Connection, PeerId, Stream } from '@libp2p/interface'
import { encodeMessage } from '../../protocol/codec/encodeMessage.ts'
import { MAX_MESSAGE_BYTES } from '../../protocol/constants.ts'
import { SYNC_PROTOCOL } from '../../protocol/protocols.ts'
import { MAX_SYNC_LIMIT } from '../../protocol/schemas/messages.ts'
import type { SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { SyncResponse } from '../../protocol/types/messages.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import { isSameMarket } from '../../protocol/validation/isSameMarket.ts'
import type { Logger } from '../log/logger.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import { messageStream } from '../p2p/messageStream.ts'
import type { Admit } from './admit.ts'
import { createRateLimiter, type Rate } from './rateLimiter.ts'
import type { BookSide } from './types.ts'

/** Which book a sync page is of. */
export type SyncBook = BookSide

/** An order the serving book offers, with the size of its canonical JSON. */
type Sized<body> = { body: body; size: number }

/** What one book key (a provider for asks, a hash for bids) puts on a page. */
export type SyncItem = { ask?: Sized<SignedAsk>; cancel?: Sized<SignedAskCancel>; bid?: Sized<SignedBid> }

/** The serving side's view of a book: its keys in order and what each holds. */
export type SyncSource = {
  keys: (book: SyncBook) => readonly string[]
  item: (book: SyncBook, key: string) => SyncItem | undefined
}

// `{"asks":[],"bids":[],"cancels":[],"next":"…"}` behind the two-byte envelope, with room for the longest cursor.
const PAGE_OVERHEAD = 2 + '{"asks":[],"bids":[],"cancels":[],"next":""}'.length + 128

/**
 * Fills one page from the keys after `cursor`, as many as `limit` allows and
 * as fit in `MAX_MESSAGE_BYTES`; `next` is the last key on the page when more follow.
 *
 * @param source - The book.
 * @param book - Asks (with their providers' cancels) or bids.
 * @param cursor - The previous page's `next`.
 * @param limit - Most keys on the page.
 * @returns The page.
 */
export function buildSyncPage(source: SyncSource, book: SyncBook, cursor: string | undefined, limit: number): SyncResponse {
  const keys = source.keys(book)
  let index = cursor === undefined ? 0 : upperBound(keys, cursor)
  const page: SyncResponse = { asks: [], bids: [], cancels: [] }
  let size = PAGE_OVERHEAD
  let taken = 0
  let last: string | undefined
  for (; index < keys.length && taken < limit; index++) {
    const key = keys[index]!
    const item = source.item(book, key)
    if (!item) continue
    const parts = [item.ask, item.cancel, item.bid].filter((part) => part !== undefined)
    const itemSize = parts.reduce((total, part) => total + part.size + 1, 0)
    if (size + itemSize > MAX_MESSAGE_BYTES) {
      if (taken > 0) break
      // An item too large for any page is skipped rather than stalling the sync.
      last = key
      continue
    }
    if (item.ask) page.asks.push(item.ask.body)
    if (item.cancel) page.cancels.push(item.cancel.body)
    if (item.bid) page.bids.push(item.bid.body)
    size += itemSize
    taken++
    last = key
  }
  if (index < keys.length && last !== undefined) page.next = last
  return page
}

function upperBound(keys: readonly string[], key: string): number {
  let low = 0
  let high = keys.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (keys[middle]! <= key) low = middle + 1
    else high = middle
  }
  return low
}

export type SyncServerInit = {
  market: MarketParameters
  source: SyncSource
  /** Pages each peer may fetch (default 20/s, bursts of 40). */
  rate?: Rate
  /** A peer that must wait longer than this for its next page loses the stream (default 2 000 ms). */
  maxWaitMs?: number
  /** A stream idle this long is closed (default 10 000 ms). */
  idleTimeoutMs?: number
  log: Logger
}

/**
 * The serving side of `SYNC_PROTOCOL`: reads `sync-request`s and answers each
 * with one `sync-response` page until the peer closes. Each peer's pages are
 * rate-limited: a fast reader is slowed down, a greedy one cut off.
 *
 * @param init - The market, the book and the limits.
 * @returns A stream handler for `host.handle(SYNC_PROTOCOL, …)`.
 */
export function createSyncHandler({
  market,
  source,
  rate = { perSec: 20, burst: 40 },
  maxWaitMs = 2_000,
  idleTimeoutMs = 10_000,
  log,
}: SyncServerInit): ((stream: Stream, connection: Connection) => Promise<void>) & { prune: () => void } {
  const limiter = createRateLimiter(rate)
  const handler = async (stream: Stream, connection: Connection) => {
    const peer = connection.remotePeer.toString()
    const messages = messageStream(stream)
    try {
      while (true) {
        let request
        try {
          request = await messages.read(['sync-request'], { signal: AbortSignal.timeout(idleTimeoutMs) })
        } catch (error) {
          if ((error as Error).name === 'StreamClosedError') break
          throw error
        }
        const { body } = request
        if (!isSameMarket(body, market)) throw new Error(`sync request for another market (${body.chainId}/${body.market})`)
        const wait = limiter.waitMs(peer)
        if (wait > maxWaitMs) throw new Error(`peer ${peer} exceeded the sync rate`)
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait))
        limiter.take(peer)
        await messages.write({ type: 'sync-response', body: buildSyncPage(source, body.book, body.cursor, body.limit) })
      }
      await messages.close()
    } catch (error) {
      log('sync with %s ended: %s', peer, (error as Error).message)
      stream.abort(error as Error)
    }
  }
  return Object.assign(handler, { prune: () => limiter.prune() })
}

export type FetchBookParameters = {
  market: MarketParameters
  books: readonly SyncBook[]
  /** Orders asked for per page (default `MAX_SYNC_LIMIT`). */
  limit?: number
  /** Stop after this many pages of one book (a peer cannot keep us paging forever). */
  maxPages: number
  signal?: AbortSignal
}

/**
 * The requesting side of `SYNC_PROTOCOL`: pages through each book of one peer
 * over a single stream. The orders are not checked here; the book admits them
 * as it admits gossip.
 *
 * @param host - Our host.
 * @param peer - The peer to sync from.
 * @param parameters - The market, the books and the limits.
 * @returns The pages, as they arrive.
 * @example
 * for await (const { book, page } of fetchBook(host, peer, { market, books: ['asks', 'bids'], maxPages: 100 })) …
 */
export async function* fetchBook(
  host: P2PHost,
  peer: PeerId,
  { market, books, limit = MAX_SYNC_LIMIT, maxPages, signal }: FetchBookParameters,
): AsyncGenerator<{ book: SyncBook; page: SyncResponse }> {
  const stream = await host.dialProtocol(peer, SYNC_PROTOCOL, { signal })
  const messages = messageStream(stream)
  try {
    for (const book of books) {
      let cursor: string | undefined
      for (let pages = 0; pages < maxPages; pages++) {
        await messages.write({ type: 'sync-request', body: { chainId: market.chainId, market: market.market, book, cursor, limit } }, { signal })
        const { body: page } = await messages.read(['sync-response'], { signal })
        yield { book, page }
        // Cursors must move forward; one that does not would page forever.
        if (page.next === undefined || (cursor !== undefined && page.next <= cursor)) break
        cursor = page.next
      }
    }
    await messages.close({ signal })
  } catch (error) {
    stream.abort(error as Error)
    throw error
  }
}

/** The size of an order's canonical JSON, from its encoded gossip message. */
export const orderJsonSize = (encoded: Uint8Array) => encoded.length - 2

export type SyncComponents = {
  host: P2PHost
  market: MarketParameters
  /** What this node serves. */
  source: SyncSource
  /** Where fetched orders go: the same pipeline as gossip. */
  admit: Admit
  logger: Logger
}

export type SyncInit = {
  /** Sync pages each peer may fetch from us (default 20/s, bursts of 40). */
  syncRate?: Rate
  /** Peers one sync pulls from (default 3). */
  syncPeers?: number
  /** Longest a sync from one peer may take, ms (default 15 000). */
  syncTimeoutMs?: number
  /** Sync from the first peers that connect after start (default true). */
  autoSync?: boolean
  /** Pages of one book fetched from one peer at most (default 10 001: the book's default size, plus one). */
  maxPages?: number
  /** How often idle peers' page buckets are dropped, ms (default 10 000). */
  pruneInterval?: number
}

export const defaultSyncInit = {
  syncRate: { perSec: 20, burst: 40 },
  syncPeers: 3,
  syncTimeoutMs: 15_000,
  autoSync: true,
  maxPages: 10_001,
  pruneInterval: 10_000,
} satisfies Required<SyncInit>

/** Both sides of `SYNC_PROTOCOL`: serving this node's book, and pulling peers' books into it. */
export interface Sync {
  start(): Promise<void>
  stop(): Promise<void>
  /** Pulls the book from connected peers (or `peers`), paginated; returns the counts added. */
  sync(options?: { signal?: AbortSignal; peers?: PeerId[] }): Promise<{ asks: number; bids: number }>
}

/**
 * Creates the sync part: on `start` it serves `SYNC_PROTOCOL` and, with
 * `autoSync`, pulls from the first peers identified. Fetched orders pass the
 * same admission as gossip; cancels first, so that asks they void are refused.
 *
 * @param components - The host, the market, the served book and the pipeline.
 * @param init - Rates, peers, timeouts.
 * @returns The sync part, not started.
 * @example
 * const sync = createSync({ host, market, source, admit, logger })
 * await sync.start()
 * await sync.sync()
 */
export function createSync({ host, market, source, admit, logger: log }: SyncComponents, init: SyncInit = {}): Sync {
  const { syncRate, syncPeers, syncTimeoutMs, autoSync, maxPages, pruneInterval } = { ...defaultSyncInit, ...init }
  const handler = createSyncHandler({ market, source, rate: syncRate, log })
  let controller = new AbortController()
  let timer: NodeJS.Timeout | undefined
  let autoSynced = false
  let started = false

  const sync: Sync['sync'] = async ({ signal, peers } = {}) => {
    const candidates = peers ?? shuffle(host.getPeers()).slice(0, syncPeers)
    const added = { asks: 0, bids: 0 }
    const results = await Promise.allSettled(
      candidates.map(async (peer) => {
        const context = { source: 'sync' as const, from: peer.toString() }
        const peerSignal = AbortSignal.any([controller.signal, AbortSignal.timeout(syncTimeoutMs), ...(signal ? [signal] : [])])
        for await (const { page } of fetchBook(host, peer, { market, books: ['asks', 'bids'], maxPages, signal: peerSignal })) {
          for (const cancel of page.cancels) await admit.admit({ type: 'ask-cancel', body: cancel }, encodeMessage({ type: 'ask-cancel', body: cancel }), context)
          for (const ask of page.asks)
            if ((await admit.admit({ type: 'ask', body: ask }, encodeMessage({ type: 'ask', body: ask }), context)).accepted) added.asks++
          for (const bid of page.bids)
            if ((await admit.admit({ type: 'bid', body: bid }, encodeMessage({ type: 'bid', body: bid }), context)).accepted) added.bids++
        }
      }),
    )
    results.forEach((result, index) => {
      if (result.status === 'rejected') log('sync from %s failed: %s', candidates[index]!.toString(), (result.reason as Error).message)
    })
    if (candidates.length && results.every((result) => result.status === 'rejected')) throw (results[0] as PromiseRejectedResult).reason
    return added
  }

  const onPeer = () => {
    if (autoSynced) return
    autoSynced = true
    setTimeout(() => {
      if (!started) return
      sync({ signal: controller.signal }).then(
        (added) => log('synced %d asks and %d bids on joining', added.asks, added.bids),
        (error) => log('sync on joining failed: %s', (error as Error).message),
      )
    }, 200).unref()
  }

  return {
    sync,
    start: async () => {
      started = true
      controller = new AbortController()
      autoSynced = false
      await host.handle(SYNC_PROTOCOL, handler, { maxInboundStreams: 4, maxOutboundStreams: 4 })
      timer = setInterval(() => handler.prune(), pruneInterval)
      timer.unref()
      if (autoSync) {
        host.addEventListener('peer:identify', onPeer)
        if (host.getPeers().length) onPeer()
      }
    },
    stop: async () => {
      started = false
      controller.abort(new Error('the order book stopped'))
      clearInterval(timer)
      host.removeEventListener('peer:identify', onPeer)
      await host.unhandle(SYNC_PROTOCOL).catch(() => {})
    },
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
