import { decodeMessage } from '../../protocol/codec/decodeMessage.ts'
import type { Logger } from '../log/logger.ts'
import type { Store, Sublevel } from '../store/openStore.ts'
import type { Admit } from './admit.ts'
import type { BookState, ProviderRecord } from './bookState.ts'
import { BookRejection } from './rejection.ts'
import type { AdmitResult, BookSide } from './types.ts'

/** An order as level holds it: its wire bytes (base64), so a reload decodes and checks it like any other. */
export type StoredOrder = {
  message: string
  /** Unix ms when the book took it. */
  receivedAt: number
  /** Published by this node: pinned, never evicted. */
  own: boolean
}

/** What the book remembers of a provider after its ask is gone: replays stay stale and cancels stay in force. */
export type StoredProvider = {
  sequence?: number | undefined
  cancelNonce?: number | undefined
  /** The latest cancel's wire bytes (base64), served to syncing peers. */
  cancel?: string | undefined
  /** Unix seconds of the last change. */
  updatedAt: number
}

type Part = BookSide | 'providers'
type Value = { asks: StoredOrder; bids: StoredOrder; providers: StoredProvider }

export type BookStoreComponents = { store: Store; logger: Logger }

export type BookStoreInit = {
  /**
   * Writes wait this long to share one batch, ms (default 250); `flush` (and
   * `stop`) write at once. A crash loses at most this much of the book, which
   * sync fetches again from peers.
   */
  flushDelayMs?: number
}

export const defaultBookStoreInit = { flushDelayMs: 250 } satisfies Required<BookStoreInit>

/** The order book's part of the node's database, written behind in batches. */
export type BookStore = {
  start: () => void
  /** Writes what is queued. */
  stop: () => Promise<void>
  put: <part extends Part>(part: part, key: string, value: Value[part]) => void
  del: (part: Part, key: string) => void
  /** Waits until every write so far is on disk. */
  flush: () => Promise<void>
  /** Everything stored, by part. */
  load: () => Promise<{ [part in Part]: Array<[string, Value[part]]> }>
}

/**
 * Opens the book's sublevels (`orderbook-asks`, `orderbook-bids`,
 * `orderbook-providers`). Writes are queued and flushed together a moment
 * later, in one batch, so a validator never waits for the disk.
 *
 * @param components - The node's store and a logger (failed writes are logged).
 * @param init - The batching delay.
 * @returns The book's store.
 * @example
 * const bookStore = createBookStore({ store, logger: logger('orderbook') })
 */
export function createBookStore({ store, logger: log }: BookStoreComponents, init: BookStoreInit = {}): BookStore {
  const { flushDelayMs } = { ...defaultBookStoreInit, ...init }
  const onError = (error: unknown) => log.error('store write failed: %s', (error as Error).message)
  const parts = {
    asks: store.sublevel<StoredOrder>('orderbook-asks'),
    bids: store.sublevel<StoredOrder>('orderbook-bids'),
    providers: store.sublevel<StoredProvider>('orderbook-providers'),
  } as { [part in Part]: Sublevel<Value[part]> }
  let pending = new Map<string, { part: Part; key: string; value?: Value[Part] }>()
  let writing: Promise<void> = Promise.resolve()
  let scheduled = false

  const write = () => {
    scheduled = false
    const batch = pending
    pending = new Map()
    // One batch on the root database for all three parts: each batch is a call into
    // LevelDB whose fixed cost was most of the book's store CPU per order.
    const operations = [...batch.values()].map(({ part, key, value }) => {
      const sublevel = parts[part] as Sublevel<unknown>
      return value === undefined ? { type: 'del' as const, sublevel, key } : { type: 'put' as const, sublevel, key, value }
    })
    writing = writing.then(() => store.db.batch(operations).catch(onError))
  }
  const queue = (part: Part, key: string, value?: Value[Part]) => {
    pending.set(`${part}/${key}`, { part, key, value })
    if (!scheduled) {
      scheduled = true
      setTimeout(write, flushDelayMs).unref()
    }
  }

  const flush = async () => {
    if (scheduled) write()
    await writing
  }

  return {
    start: () => {},
    stop: flush,
    put: (part, key, value) => queue(part, key, value),
    del: (part, key) => queue(part, key),
    flush,
    load: async () => ({
      asks: await parts.asks.iterator().all(),
      bids: await parts.bids.iterator().all(),
      providers: await parts.providers.iterator().all(),
    }),
  }
}

const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, 'base64'))

export type RestoreBookComponents = { bookStore: BookStore; state: BookState; admit: Admit; logger: Logger }

/**
 * Reloads what the store holds into the book: providers first (their cancel
 * nonces), then every order through the admission pipeline as source `store`
 * (no signature or backing check, but expiry and cancels apply). What no longer
 * passes is deleted from the store.
 *
 * @param components - The store, the state and the pipeline.
 * @example
 * await restoreBook({ bookStore, state, admit, logger })
 */
export async function restoreBook({ bookStore, state, admit, logger: log }: RestoreBookComponents): Promise<void> {
  const stored = await bookStore.load()
  for (const [provider, record] of stored.providers) state.restoreProvider(provider, restoredProvider(record))
  for (const [book, entries] of [['asks', stored.asks], ['bids', stored.bids]] as const) {
    for (const [key, record] of entries) {
      let result: AdmitResult
      try {
        const bytes = fromBase64(record.message)
        const message = decodeMessage(bytes, { accept: book === 'asks' ? ['ask'] : ['bid'] })
        result = await admit.admit(message, bytes, { source: 'store', own: record.own })
      } catch (cause) {
        result = { accepted: false, reason: BookRejection.Malformed, cause }
      }
      if (result.accepted) state.restoreReceivedAt(book, key, record.receivedAt)
      else bookStore.del(book, key)
    }
  }
  const { asks, bids, providers } = state.stats()
  log('loaded %d asks, %d bids and %d providers from the store', asks, bids, providers)
}

function restoredProvider(stored: StoredProvider): ProviderRecord {
  let cancel: ProviderRecord['cancel']
  if (stored.cancel) {
    try {
      const bytes = fromBase64(stored.cancel)
      cancel = { signed: decodeMessage(bytes, { accept: ['ask-cancel'] }).body, bytes }
    } catch {}
  }
  return { sequence: stored.sequence, cancelNonce: stored.cancelNonce, cancel, updatedAt: stored.updatedAt }
}
