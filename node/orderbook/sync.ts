import type { Connection, PeerId, Stream } from '@libp2p/interface'
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
import { createRateLimiter, type Rate } from './rateLimiter.ts'

/** Which book a sync page is of. */
export type SyncBook = 'asks' | 'bids'

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
