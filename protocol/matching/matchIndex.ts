import type { Hex } from 'viem'
import { MAX_UINT128 } from '../constants.ts'
import { dealCollateral } from '../pricing/dealCollateral.ts'
import { exactPrice } from '../pricing/exactPrice.ts'
import { assertPricingCurve, DEFAULT_PRICING_CURVE, type PricingCurve } from '../pricing/pricingCurve.ts'
import type { AskEntry } from '../types/ask.ts'
import type { Bid } from '../types/bid.ts'
import { assignGpus } from './assignGpus.ts'
import { AskColumns, isColumnarAsk } from './askColumns.ts'
import { ColumnScan } from './columnScan.ts'
import { type CanBack, evaluateAsk } from './evaluateAsk.ts'
import { type MatchBidReturnType, type MatchCandidate, matchBid } from './matchBid.ts'
import { MatchCriterion, matchCriteria } from './matchCriteria.ts'

export type MatchIndexOptions = {
  /** The market's curve, priced into the index up front; defaults to `DEFAULT_PRICING_CURVE`. */
  pricing?: PricingCurve | undefined
}

export type MatchIndexMatchParameters = {
  /** Unix seconds. */
  now: number
  /**
   * The backing check, as for `matchBid`. Omit it when every listed provider can
   * back any deal (the order book lists backed providers only): the fast path.
   * Given, it must be asked about every priced ask with that ask's exact
   * collateral, so the match prices every ask exactly, near `matchBid`'s cost.
   */
  canBack?: CanBack | undefined
  /** Defaults to the index's curve. */
  pricing?: PricingCurve | undefined
  /** How many candidates to return, best first; defaults to 16, at least 1. */
  limit?: number | undefined
}

/** As `matchBid` returns, with `candidates` cut to the limit. */
export type MatchIndexReturnType = MatchBidReturnType

/** A book kept ready for matching; see {@link createMatchIndex}. */
export type MatchIndex = {
  /** Distinct asks held. */
  readonly size: number
  has(hash: Hex): boolean
  /** Adds an ask; `false` when one with the same hash (in any case) is already held. */
  add(entry: AskEntry): boolean
  /** Removes the ask with this hash; `false` when there is none. */
  remove(hash: Hex): boolean
  /** Removes `hash` (a provider's previous ask) if held, then adds `entry`; returns what `add` returns. */
  replace(hash: Hex, entry: AskEntry): boolean
  /** The book as `matchBid` would take it. */
  entries(): AskEntry[]
  /**
   * `matchBid(bid, entries(), parameters)`, with the candidate list cut to
   * `limit`: the same match, the same head of candidates, the same counts and
   * cheapest price.
   */
  match(bid: Bid, parameters: MatchIndexMatchParameters): MatchIndexReturnType
}

const always: CanBack = () => true

/**
 * Builds a matching index over a book, so that matching one bid does not look
 * at every ask. The asks are laid out in typed-array columns (free capacity,
 * durations, expiry, runtimes, unit prices times the multiplier at each ask's
 * own utilization, priced GPUs cheapest first), beside structures that count
 * without a pass: sorted copies of expiry and durations, runtime tallies, a
 * binned counter of free capacity, a grid over the CPU and memory unit prices,
 * and per-model lists of GPU asks. Every criterion is counted exactly; the
 * float price decides every ask except those too near the bid's maximum or
 * `uint128`, which go to the exact rules (`evaluateAsk`, bigint), as do the few
 * asks cheap enough to be among the best `limit`. The answer is the one
 * `matchBid` gives on the same book.
 *
 * Asks whose fields do not fit the columns (never the case for schema-valid
 * asks), bids whose numbers `exactPrice` could not convert, and invalid curves
 * take `matchBid`'s own path, errors included.
 *
 * @param asks - The book, with each ask's hash; duplicates by hash count once.
 * @param options - The market's pricing curve.
 * @returns The index; update it with `add`, `remove` and `replace` as the book changes.
 * @example
 * const index = createMatchIndex(book.asks(), { pricing })
 * const { match, candidates, rejected } = index.match(bid, { now, limit: 8 })
 */
export function createMatchIndex(asks: readonly AskEntry[], options: MatchIndexOptions = {}): MatchIndex {
  const pricing = options.pricing ?? DEFAULT_PRICING_CURVE
  assertPricingCurve(pricing)
  const columns = new AskColumns(pricing)
  const aside = new Map<string, AskEntry>()
  const scan = new ColumnScan()

  const index: MatchIndex = {
    get size() {
      return columns.size + aside.size
    },
    has: (hash) => columns.slots.has(hash.toLowerCase()) || aside.has(hash.toLowerCase()),
    add(entry) {
      const key = entry.hash.toLowerCase() as Hex
      if (columns.slots.has(key) || aside.has(key)) return false
      if (isColumnarAsk(entry.ask)) columns.add(entry, key)
      else aside.set(key, entry)
      return true
    },
    remove(hash) {
      const key = hash.toLowerCase()
      const slot = columns.slots.get(key)
      if (slot !== undefined) columns.remove(slot)
      else if (!aside.delete(key)) return false
      return true
    },
    replace(hash, entry) {
      index.remove(hash)
      return index.add(entry)
    },
    entries: () => [...columns.entries.slice(0, columns.size), ...aside.values()],
    match(bid, { now, canBack, pricing: curve = pricing, limit = 16 }) {
      const count = Math.max(1, Math.floor(limit)) || 1
      if (!isPlainCurve(curve) || !isColumnarBid(bid)) {
        const result = matchBid(bid, index.entries(), { now, canBack: canBack ?? always, pricing: curve })
        return { ...result, candidates: result.candidates.slice(0, count) }
      }
      columns.usePricing(curve)
      return matchColumns(bid, columns, aside, scan, { now, canBack, pricing: curve, limit: count })
    },
  }
  for (const entry of asks) {
    const key = entry.hash.toLowerCase() as Hex
    if (columns.slots.has(key) || aside.has(key)) continue
    if (isColumnarAsk(entry.ask)) columns.add(entry, key, true)
    else aside.set(key, entry)
  }
  columns.prepare()
  return index
}

function isPlainCurve(curve: PricingCurve): boolean {
  try {
    assertPricingCurve(curve)
    return true
  } catch {
    return false
  }
}

/** Whether the bid's numbers convert to bigint as `exactPrice` needs, so that the float path can stand in for it. */
function isColumnarBid(bid: Bid): boolean {
  const { requirements } = bid
  const isCount = (value: number) => Number.isSafeInteger(value) && value >= 0
  return (
    Number.isSafeInteger(bid.duration) &&
    bid.duration >= 1 &&
    typeof bid.maxPrice === 'bigint' &&
    bid.maxPrice >= 0n &&
    isCount(requirements.cpuMillicores) &&
    isCount(requirements.memoryMiB) &&
    isCount(requirements.diskMiB) &&
    requirements.gpus.every((gpu) => isCount(gpu.count) && isCount(gpu.vramMiB))
  )
}

type Tally = {
  rejected: Record<MatchCriterion, number>
  candidates: MatchCandidate[]
  /** Cheapest exact price among asks failing on price alone, from exact evaluations. */
  cheapestPriceOnly: bigint | undefined
}

function matchColumns(
  bid: Bid,
  columns: AskColumns,
  aside: ReadonlyMap<string, AskEntry>,
  scan: ColumnScan,
  { now, canBack, pricing, limit }: { now: number; canBack: CanBack | undefined; pricing: PricingCurve; limit: number },
): MatchIndexReturnType {
  const tally: Tally = {
    rejected: Object.fromEntries(matchCriteria.map((criterion) => [criterion, 0])) as Record<MatchCriterion, number>,
    candidates: [],
    cheapestPriceOnly: undefined,
  }
  const evaluate = (entry: AskEntry, key: Hex, utilization?: bigint) =>
    record(tally, entry, key, evaluateAsk(bid, entry.ask, { now, canBack: canBack ?? always, pricing, utilization }))

  for (const [key, entry] of aside) evaluate(entry, key as Hex)
  if (canBack) {
    for (let slot = 0; slot < columns.size; slot++) evaluate(columns.entries[slot]!, columns.hashes[slot]!, columns.utilization[slot])
    return finish(tally, limit, columns.size + aside.size, undefined)
  }
  return finishScan(bid, columns, scan, tally, { now, limit, pricing, evaluate, considered: columns.size + aside.size })
}

function record(tally: Tally, { ask }: AskEntry, hash: Hex, result: ReturnType<typeof evaluateAsk>): void {
  const { failures, price, collateral, utilization, gpus } = result
  for (const criterion of failures) tally.rejected[criterion]++
  if (failures.length === 0) {
    tally.candidates.push({ ask, hash, price: price!, collateral: collateral!, utilization, gpus: gpus! })
  } else if (failures.length === 1 && failures[0] === MatchCriterion.Price && price !== undefined && price <= MAX_UINT128)
    if (tally.cheapestPriceOnly === undefined || price < tally.cheapestPriceOnly) tally.cheapestPriceOnly = price
}

function finish(tally: Tally, limit: number, considered: number, cheapestPriceOnly: bigint | undefined): MatchIndexReturnType {
  const candidates = tally.candidates.sort(compareCandidates).slice(0, limit)
  let cheapestPrice = candidates[0]?.price
  if (cheapestPrice === undefined) {
    cheapestPrice = tally.cheapestPriceOnly
    if (cheapestPriceOnly !== undefined && (cheapestPrice === undefined || cheapestPriceOnly < cheapestPrice))
      cheapestPrice = cheapestPriceOnly
  }
  return {
    match: candidates[0],
    candidates,
    considered,
    rejected: tally.rejected,
    cheapestPrice,
  }
}

/**
 * The fast path: every provider backs any deal, so an ask fails `unbacked` only
 * when its collateral overflows `uint128`, which the float bounds rule out for
 * all but the asks the scan leaves to the exact rules.
 */
function finishScan(
  bid: Bid,
  columns: AskColumns,
  scan: ColumnScan,
  tally: Tally,
  {
    now,
    limit,
    pricing,
    evaluate,
    considered,
  }: {
    now: number
    limit: number
    pricing: PricingCurve
    evaluate: (entry: AskEntry, key: Hex, utilization?: bigint) => void
    considered: number
  },
): MatchIndexReturnType {
  scan.run(columns, bid, now, limit)
  const { rejected } = tally
  rejected[MatchCriterion.Expired] += scan.expired
  rejected[MatchCriterion.Runtime] += scan.runtime
  rejected[MatchCriterion.Duration] += scan.duration
  rejected[MatchCriterion.Capacity] += scan.capacity
  rejected[MatchCriterion.Gpu] += scan.gpu
  rejected[MatchCriterion.Price] += scan.price
  for (let at = 0; at < scan.exactCount; at++) {
    // The scan counted this ask's other criteria; the exact rules count them all again.
    const slot = scan.exactSlots[at]!
    const [expired, runtime, duration, capacity] = scan.failures(columns, slot)
    rejected[MatchCriterion.Expired] -= +expired
    rejected[MatchCriterion.Runtime] -= +runtime
    rejected[MatchCriterion.Duration] -= +duration
    rejected[MatchCriterion.Capacity] -= +capacity
    evaluate(columns.entries[slot]!, columns.hashes[slot]!, columns.utilization[slot])
  }

  const { requirements, duration } = bid
  const exact = (slot: number): MatchCandidate => {
    const ask = columns.asks[slot]!
    const utilization = columns.utilization[slot]!
    const gpus = requirements.gpus.length === 0 ? [] : assignGpus(requirements.gpus, ask)!
    const price = exactPrice({ prices: ask.prices, requirements, gpus, duration, utilization, curve: pricing })
    return { ask, hash: columns.hashes[slot]!, price, collateral: dealCollateral(price, ask.collateralBps), utilization, gpus }
  }
  for (let at = 0; at < scan.bestCount; at++)
    if (scan.bestPrices[at]! <= scan.bestReach) tally.candidates.push(exact(scan.bestSlots[at]!))

  let cheapestPriceOnly: bigint | undefined
  if (tally.candidates.length === 0)
    for (let at = 0; at < scan.cheapCount; at++) {
      if (scan.cheapPrices[at]! > scan.cheapReach) continue
      const { price } = exact(scan.cheapSlots[at]!)
      if (cheapestPriceOnly === undefined || price < cheapestPriceOnly) cheapestPriceOnly = price
    }
  return finish(tally, limit, considered, cheapestPriceOnly)
}

function compareCandidates(a: MatchCandidate, b: MatchCandidate): number {
  if (a.price !== b.price) return a.price < b.price ? -1 : 1
  if (a.ask.createdAt !== b.ask.createdAt) return a.ask.createdAt - b.ask.createdAt
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0
}
