import { createMatchIndex } from '../../protocol/matching/matchIndex.ts'
import type { MatchIndexMatchParameters, MatchIndexReturnType } from '../../protocol/matching/matchIndex.ts'
import type { PricingCurve } from '../../protocol/pricing/pricingCurve.ts'
import type { AskEntry } from '../../protocol/types/ask.ts'
import type { Bid } from '../../protocol/types/bid.ts'

export type BookMatcher = {
  asks: () => AskEntry[]
  /** `matchBid` over the book's current asks, through the columnar index. */
  match: (bid: Bid, parameters: MatchIndexMatchParameters) => MatchIndexReturnType
}

/**
 * Keeps a match index in step with a book: before each match the index takes the
 * asks that arrived and drops those that left, so a match costs a diff of hashes
 * and a columnar scan instead of exact pricing of every ask.
 */
export function createBookMatcher(book: { asks: () => AskEntry[] }, { pricing }: { pricing?: PricingCurve } = {}): BookMatcher {
  const index = createMatchIndex([], { pricing })
  let held = new Set<string>()
  return {
    asks: () => book.asks(),
    match: (bid, parameters) => {
      const current = book.asks()
      const now = new Set(current.map((entry) => entry.hash.toLowerCase()))
      for (const hash of held) if (!now.has(hash)) index.remove(hash as `0x${string}`)
      for (const entry of current) if (!held.has(entry.hash.toLowerCase())) index.add({ ask: entry.ask, hash: entry.hash })
      held = now
      return index.match(bid, parameters)
    },
  }
}
