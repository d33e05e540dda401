import type { Store, Sublevel } from '../store/openStore.ts'

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

type Part = 'asks' | 'bids' | 'providers'

// Writes wait this long to share one batch; `flush` (and `stop`) write at once.
const FLUSH_DELAY_MS = 50
type Value = { asks: StoredOrder; bids: StoredOrder; providers: StoredProvider }

/** The order book's part of the node's database, written behind in batches. */
export type BookStore = {
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
 * later, so a validator never waits for the disk.
 *
 * @param store - The node's store.
 * @param onError - Told of a failed write.
 * @returns The book's store.
 */
export function createBookStore(store: Store, onError: (error: unknown) => void = () => {}): BookStore {
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
    writing = writing.then(async () => {
      for (const part of Object.keys(parts) as Part[]) {
        const operations = [...batch.values()]
          .filter((operation) => operation.part === part)
          .map(({ key, value }) => (value === undefined ? { type: 'del' as const, key } : { type: 'put' as const, key, value }))
        if (operations.length) await (parts[part] as Sublevel<unknown>).batch(operations).catch(onError)
      }
    })
  }
  const queue = (part: Part, key: string, value?: Value[Part]) => {
    pending.set(`${part}/${key}`, { part, key, value })
    if (!scheduled) {
      scheduled = true
      setTimeout(write, FLUSH_DELAY_MS).unref()
    }
  }

  return {
    put: (part, key, value) => queue(part, key, value),
    del: (part, key) => queue(part, key),
    flush: async () => {
      if (scheduled) write()
      await writing
    },
    load: async () => ({
      asks: await parts.asks.iterator().all(),
      bids: await parts.bids.iterator().all(),
      providers: await parts.providers.iterator().all(),
    }),
  }
}
