import type { Hex } from 'viem'
import { MAX_UINT128 } from '../constants.ts'
import { dealCollateral } from '../pricing/dealCollateral.ts'
import { exactPrice } from '../pricing/exactPrice.ts'
import { assertPricingCurve, DEFAULT_PRICING_CURVE, type PricingCurve } from '../pricing/pricingCurve.ts'
import type { AskEntry } from '../types/ask.ts'
import type { Bid } from '../types/bid.ts'
import { assignGpus } from './assignGpus.ts'
import { AskColumns, isColumnarAsk, MAX_COLUMNAR_GPUS, runtimeBits } from './askColumns.ts'
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
   * Given, it must be asked about every priced ask, so the match costs one exact
   * price per ask.
   */
  canBack?: CanBack | undefined
  /** Defaults to the index's curve. */
  pricing?: PricingCurve | undefined
  /** How many candidates to return, best first; defaults to 16, at least 1. */
  limit?: number | undefined
}

export type MatchIndexReturnType = MatchBidReturnType & {
  /** How many asks match: the length of `matchBid`'s candidate list, of which `candidates` is the head. */
  matched: number
}

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

// Bound on the relative error of a float price. The float path rounds about 20
// times, each off by at most 2^-53, so the true bound is near 1e-15; the margin
// is wide so that no ask is decided wrongly, at the cost of a few exact prices.
const EPSILON = 1e-9
const MAX_UINT128_FLOAT = Number(MAX_UINT128)
const always: CanBack = () => true

/**
 * Builds a matching index over a book. Each ask's columns (free capacity,
 * durations, expiry, runtimes, unit prices times the multiplier at its own
 * utilization, and its priced GPUs cheapest first) are laid out in typed
 * arrays, so that a match is one tight pass over the book in floating point.
 * The pass counts every criterion exactly, and sends to the exact rules
 * (`evaluateAsk`, bigint) only the asks whose float price lies too close to a
 * decision (the bid's maximum, `uint128`) and the few cheap enough to be among
 * the best `limit`. The answer is the one `matchBid` gives on the same book.
 *
 * Asks whose fields do not fit the columns (never the case for schema-valid
 * asks) are held aside and evaluated one by one.
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
  const scratch: Scratch = { slots: new Int32Array(0), prices: new Float64Array(0), cheapSlots: new Int32Array(0), cheapPrices: new Float64Array(0) }

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
    match(bid, { now, canBack, pricing: curve = columns.curve, limit = 16 }) {
      const count = Math.max(1, Math.floor(limit)) || 1
      if (!isPlainCurve(curve) || !isColumnarBid(bid)) {
        const result = matchBid(bid, index.entries(), { now, canBack: canBack ?? always, pricing: curve })
        return { ...result, candidates: result.candidates.slice(0, count), matched: result.candidates.length }
      }
      columns.usePricing(curve)
      if (scratch.slots.length < columns.size) {
        const length = columns.expiry.length
        Object.assign(scratch, {
          slots: new Int32Array(length),
          prices: new Float64Array(length),
          cheapSlots: new Int32Array(length),
          cheapPrices: new Float64Array(length),
        })
      }
      return matchColumns(bid, columns, aside, scratch, { now, canBack, pricing: curve, limit: count })
    },
  }
  for (const entry of asks) index.add(entry)
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

/** Reused between matches: the asks kept for exact pricing, with their float prices. */
type Scratch = { slots: Int32Array; prices: Float64Array; cheapSlots: Int32Array; cheapPrices: Float64Array }

type Tally = {
  rejected: Record<MatchCriterion, number>
  candidates: MatchCandidate[]
  matched: number
  /** Cheapest exact price among asks failing on price alone, from exact evaluations. */
  cheapestPriceOnly: bigint | undefined
}

function matchColumns(
  bid: Bid,
  columns: AskColumns,
  aside: ReadonlyMap<string, AskEntry>,
  scratch: Scratch,
  { now, canBack, pricing, limit }: { now: number; canBack: CanBack | undefined; pricing: PricingCurve; limit: number },
): MatchIndexReturnType {
  const tally: Tally = {
    rejected: Object.fromEntries(matchCriteria.map((criterion) => [criterion, 0])) as Record<MatchCriterion, number>,
    candidates: [],
    matched: 0,
    cheapestPriceOnly: undefined,
  }
  const evaluate = (entry: AskEntry, key: Hex, utilization?: bigint) =>
    record(tally, entry, key, evaluateAsk(bid, entry.ask, { now, canBack: canBack ?? always, pricing, utilization }))

  for (const [key, entry] of aside) evaluate(entry, key as Hex)
  if (canBack) {
    for (let slot = 0; slot < columns.size; slot++) evaluate(columns.entries[slot]!, columns.hashes[slot]!, columns.utilization[slot])
    return finish(tally, limit, columns.size + aside.size, undefined)
  }
  return scan(bid, columns, scratch, tally, { now, limit, pricing, evaluate, considered: columns.size + aside.size })
}

function record(tally: Tally, { ask }: AskEntry, hash: Hex, result: ReturnType<typeof evaluateAsk>): void {
  const { failures, price, collateral, utilization, gpus } = result
  for (const criterion of failures) tally.rejected[criterion]++
  if (failures.length === 0) {
    tally.matched++
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
    matched: tally.matched,
  }
}

/**
 * The fast path: every provider backs any deal, so an ask fails `unbacked` only
 * when its collateral overflows `uint128`, which the float bounds rule out for
 * all but the asks sent to `evaluate`.
 */
function scan(
  bid: Bid,
  columns: AskColumns,
  scratch: Scratch,
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
  const { requirements, duration } = bid
  const { cpuMillicores: cpu, memoryMiB: memory, diskMiB: disk } = requirements
  const runtimeBit = runtimeBits.get(requirements.runtime) ?? 0
  const ceiling = bid.maxPrice < MAX_UINT128 ? bid.maxPrice : MAX_UINT128
  const ceilingFloat = Number(ceiling)

  // A float price a = s × duration is within EPSILON of the exact real price x,
  // and the price is ⌈x⌉ ∈ [x, x + 1). Below `pass` an ask surely meets the
  // bid's maximum and its collateral fits uint128; above `fail` (and below
  // `safe`) it surely does not meet the maximum; in between, ask the exact rules.
  const safe =
    (((MAX_UINT128_FLOAT * (1 - EPSILON) - 1) * 1e4) / columns.maxCollateralBps - 1) / (duration * (1 + EPSILON))
  const pass = Math.min((ceilingFloat * (1 - EPSILON) - 1) / (duration * (1 + EPSILON)), safe)
  const fail = (ceilingFloat * (1 + EPSILON)) / (duration * (1 - EPSILON))
  // An ask can rank before one of float price s only if its own is below this.
  const reach = (s: number) => (s * (1 + EPSILON) + 1 / duration) / (1 - EPSILON)

  const gpuRequirements = requirements.gpus
  const wanted = gpuRequirements.map((gpu) => ({
    model: gpu.model === '' ? -1 : (columns.models.get(gpu.model) ?? -2),
    vram: gpu.vramMiB,
    count: gpu.count,
  }))
  const left = new Float64Array(MAX_COLUMNAR_GPUS)

  const { expiry, minDuration, maxDuration, freeCpu, freeMemory, freeDisk, runtimeMask, cpuUnit, memoryUnit } = columns
  const { gpuStart, gpuLength, gpuModel, gpuVram, gpuFree, gpuUnit } = columns
  const best = limit < columns.size ? new SmallestK(limit) : undefined
  let bestReach = Infinity
  let candidateCount = 0
  let cheapest = Infinity
  let cheapestReach = Infinity
  let cheapCount = 0
  const { slots, prices, cheapSlots, cheapPrices } = scratch

  let expired = 0
  let runtime = 0
  let outOfDuration = 0
  let capacity = 0
  let gpu = 0
  let price = 0
  let matched = 0

  for (let slot = 0; slot < columns.size; slot++) {
    let s = cpu * cpuUnit[slot]! + memory * memoryUnit[slot]!
    let gpuFits = true
    if (wanted.length > 0) {
      const start = gpuStart[slot]!
      const end = start + gpuLength[slot]!
      for (let at = start; at < end; at++) left[at - start] = gpuFree[at]!
      for (const requirement of wanted) {
        let chosen = -1
        for (let at = start; at < end; at++) {
          if (requirement.model !== -1 && requirement.model !== gpuModel[at]) continue
          if (gpuVram[at]! < requirement.vram || left[at - start]! < requirement.count) continue
          chosen = at
          break
        }
        if (chosen < 0) {
          gpuFits = false
          break
        }
        left[chosen - start]! -= requirement.count
        s += requirement.count * gpuUnit[chosen]!
      }
    }
    if (gpuFits && s > pass && !(s > fail && s <= safe)) {
      evaluate(columns.entries[slot]!, columns.hashes[slot]!, columns.utilization[slot])
      continue
    }
    let clean = true
    if (now >= expiry[slot]!) {
      expired++
      clean = false
    }
    if ((runtimeMask[slot]! & runtimeBit) === 0) {
      runtime++
      clean = false
    }
    if (duration < minDuration[slot]! || duration > maxDuration[slot]!) {
      outOfDuration++
      clean = false
    }
    if (cpu > freeCpu[slot]! || memory > freeMemory[slot]! || disk > freeDisk[slot]!) {
      capacity++
      clean = false
    }
    if (!gpuFits) {
      gpu++
      continue
    }
    if (s <= pass) {
      if (!clean) continue
      matched++
      if (s > bestReach) continue
      slots[candidateCount] = slot
      prices[candidateCount++] = s
      if (best?.offer(s)) bestReach = reach(best.bound)
    } else {
      price++
      if (!clean || s > cheapestReach) continue
      cheapSlots[cheapCount] = slot
      cheapPrices[cheapCount++] = s
      if (s < cheapest) {
        cheapest = s
        cheapestReach = reach(s)
      }
    }
  }

  const { rejected } = tally
  rejected[MatchCriterion.Expired] += expired
  rejected[MatchCriterion.Runtime] += runtime
  rejected[MatchCriterion.Duration] += outOfDuration
  rejected[MatchCriterion.Capacity] += capacity
  rejected[MatchCriterion.Gpu] += gpu
  rejected[MatchCriterion.Price] += price
  tally.matched += matched

  const exact = (slot: number) => {
    const ask = columns.asks[slot]!
    const utilization = columns.utilization[slot]!
    const gpus = assignGpus(gpuRequirements, ask)!
    const price = exactPrice({ prices: ask.prices, requirements, gpus, duration, utilization, curve: pricing })
    return { ask, hash: columns.hashes[slot]!, price, collateral: dealCollateral(price, ask.collateralBps), utilization, gpus }
  }
  for (let at = 0; at < candidateCount; at++) if (prices[at]! <= bestReach) tally.candidates.push(exact(slots[at]!))

  let cheapestPriceOnly: bigint | undefined
  if (tally.matched === 0 && cheapest !== Infinity) {
    for (let at = 0; at < cheapCount; at++) {
      if (cheapPrices[at]! > cheapestReach) continue
      const { price } = exact(cheapSlots[at]!)
      if (cheapestPriceOnly === undefined || price < cheapestPriceOnly) cheapestPriceOnly = price
    }
  }
  return finish(tally, limit, considered, cheapestPriceOnly)
}

/** The `k` smallest numbers offered so far, as a max-heap; `bound` is the k-th smallest. */
class SmallestK {
  private readonly heap: Float64Array
  private size = 0

  constructor(readonly k: number) {
    this.heap = new Float64Array(k)
  }

  /** Infinity until `k` numbers have been offered. */
  get bound(): number {
    return this.size < this.k ? Infinity : this.heap[0]!
  }

  /** Offers `value`; `true` when the bound changed. */
  offer(value: number): boolean {
    const heap = this.heap
    if (this.size < this.k) {
      let at = this.size++
      while (at > 0) {
        const parent = (at - 1) >> 1
        if (heap[parent]! >= value) break
        heap[at] = heap[parent]!
        at = parent
      }
      heap[at] = value
      return this.size === this.k
    }
    if (value >= heap[0]!) return false
    let at = 0
    while (true) {
      const left = 2 * at + 1
      if (left >= this.size) break
      const right = left + 1
      const child = right < this.size && heap[right]! > heap[left]! ? right : left
      if (heap[child]! <= value) break
      heap[at] = heap[child]!
      at = child
    }
    heap[at] = value
    return true
  }
}

function compareCandidates(a: MatchCandidate, b: MatchCandidate): number {
  if (a.price !== b.price) return a.price < b.price ? -1 : 1
  if (a.ask.createdAt !== b.ask.createdAt) return a.ask.createdAt - b.ask.createdAt
  return a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0
}
