import type { Hex } from 'viem'
import { MAX_CHUNK_BYTES } from '../../protocol/constants.ts'
import type { LogEntry } from '../../protocol/types/messages.ts'

type DealLog = { entries: LogEntry[]; ended: boolean; waiters: Set<() => void> }

/**
 * The output of running jobs, per deal, for clients following it live. Entries
 * are split to the protocol's chunk size; the oldest are dropped past `maxEntries`
 * (the full output is in the result bundle).
 */
export type LogBook = {
  append: (dealId: Hex, stream: LogEntry['stream'], data: Uint8Array) => void
  end: (dealId: Hex) => void
  /** Entries from `from` on, waiting for more until the job ends or the signal aborts. */
  follow: (dealId: Hex, from: number, signal?: AbortSignal) => AsyncGenerator<LogEntry>
  has: (dealId: Hex) => boolean
}

export function createLogBook({ maxEntries = 10_000 }: { maxEntries?: number } = {}): LogBook {
  const logs = new Map<string, DealLog>()
  const get = (dealId: Hex) => {
    const key = dealId.toLowerCase()
    let log = logs.get(key)
    if (!log) logs.set(key, (log = { entries: [], ended: false, waiters: new Set() }))
    return log
  }
  const wake = (log: DealLog) => {
    for (const waiter of log.waiters) waiter()
    log.waiters.clear()
  }
  return {
    append: (dealId, stream, data) => {
      const log = get(dealId)
      for (let offset = 0; offset < data.length; offset += MAX_CHUNK_BYTES) {
        const seq = (log.entries.at(-1)?.seq ?? -1) + 1
        log.entries.push({ seq, stream, data: data.slice(offset, offset + MAX_CHUNK_BYTES) })
      }
      if (log.entries.length > maxEntries) log.entries.splice(0, log.entries.length - maxEntries)
      wake(log)
    },
    end: (dealId) => {
      const log = get(dealId)
      log.ended = true
      wake(log)
    },
    has: (dealId) => logs.has(dealId.toLowerCase()),
    follow: async function* (dealId, from, signal) {
      const log = get(dealId)
      let next = from
      while (!signal?.aborted) {
        for (const entry of log.entries) if (entry.seq >= next) (yield entry, (next = entry.seq + 1))
        if (log.ended) return
        // One abort listener per wait, removed when the wait ends: a client following a long job would otherwise
        // leave one behind for every line it was sent.
        await new Promise<void>((resolve) => {
          const done = () => {
            signal?.removeEventListener('abort', done)
            log.waiters.delete(done)
            resolve()
          }
          log.waiters.add(done)
          signal?.addEventListener('abort', done, { once: true })
        })
      }
    },
  }
}
