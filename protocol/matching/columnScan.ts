import { MAX_UINT128 } from '../constants.ts'
import type { Bid } from '../types/bid.ts'
import { runtimes } from '../types/resources.ts'
import { type AskColumns, MAX_COLUMNAR_GPUS, runtimeBits } from './askColumns.ts'

// Bound on the relative error of a float price. The float path rounds about 20
// times, each off by at most 2^-53, so the true bound is near 1e-15; the margin
// is wide so that no ask is decided wrongly, at the cost of a few exact prices.
const EPSILON = 1e-9
const MAX_UINT128_FLOAT = Number(MAX_UINT128)
// Work is cut into calls of this many asks: the engine optimizes a function
// called often far more reliably than a long loop it must replace mid-call.
const CHUNK = 4096

/**
 * The float side of a match: for one bid, counts every criterion over the
 * columns and keeps aside, by slot,
 *
 * - `exact`: asks whose float price lies too near the bid's maximum or
 *   `uint128` to decide, for the exact rules (they are in the counts too);
 * - `best`: matching asks that may rank among the best `limit` (a superset);
 * - `cheap`: asks failing on price alone that may be the cheapest of those.
 *
 * A float price a = s × duration is within EPSILON of the exact real price x,
 * and the price is ⌈x⌉ ∈ [x, x + 1), so an ask can rank before one of float
 * price s only if its own lies below `reach(s)`.
 *
 * Nothing here passes over the whole book. Expiry, runtime and duration are
 * counted from sorted copies and tallies, capacity by the capacity counter. A
 * CPU-only bid's prices are counted row by row on the price grid, looking only
 * into cells that straddle a bound, and the best asks are found by visiting
 * cells cheapest first. A GPU bid looks only at the asks with free GPUs of the
 * models it names (or any, for an unnamed model): the others cannot serve it.
 */
export class ColumnScan {
  expired = 0
  runtime = 0
  duration = 0
  capacity = 0
  gpu = 0
  price = 0

  bestCount = 0
  bestSlots = new Int32Array(0)
  bestPrices = new Float64Array(0)
  bestReach = Infinity
  cheapCount = 0
  cheapSlots = new Int32Array(0)
  cheapPrices = new Float64Array(0)
  cheapReach = Infinity
  exactCount = 0
  exactSlots = new Int32Array(0)

  // The query, and the bounds derived from it: below `pass` an ask surely meets
  // the bid's maximum and its collateral fits uint128; above `fail` (and below
  // `safe`) it surely fails on price alone.
  private cpu = 0
  private memory = 0
  private disk = 0
  private seconds = 0
  private now = 0
  private runtimeBit = 0
  private pass = 0
  private fail = 0
  private safe = 0
  private slack = 0
  private cheapest = Infinity
  private found = 0

  private limit = 0
  private heap = new Float64Array(0)
  private heapSize = 0
  private wantedModel = new Int32Array(0)
  private wantedVram = new Float64Array(0)
  private wantedCount = new Float64Array(0)
  private readonly left = new Float64Array(MAX_COLUMNAR_GPUS)
  private readonly gpuCost = new Float64Array(CHUNK)
  /** The asks with GPUs the bid may be served from. */
  private gpuSlots = new Int32Array(0)
  private cellKeys = new Float64Array(0)
  private cellIds = new Int32Array(0)
  private cellSeen = new Int32Array(0)
  private cellCount = 0
  private epoch = 0

  /** Scans `columns` for `bid`; the caller checked the bid is columnar. */
  run(columns: AskColumns, bid: Bid, now: number, limit: number): void {
    this.reset(columns, bid, limit)
    const { requirements, duration } = bid
    this.cpu = requirements.cpuMillicores
    this.memory = requirements.memoryMiB
    this.disk = requirements.diskMiB
    this.seconds = duration
    this.now = now
    this.runtimeBit = runtimeBits.get(requirements.runtime) ?? 0
    const ceiling = Number(bid.maxPrice < MAX_UINT128 ? bid.maxPrice : MAX_UINT128)
    this.safe = (((MAX_UINT128_FLOAT * (1 - EPSILON) - 1) * 1e4) / columns.maxCollateralBps - 1) / (duration * (1 + EPSILON))
    this.pass = Math.min((ceiling * (1 - EPSILON) - 1) / (duration * (1 + EPSILON)), this.safe)
    this.fail = (ceiling * (1 + EPSILON)) / (duration * (1 - EPSILON))
    this.slack = 1 / duration

    this.expired = columns.expirySorted.countAtMost(now)
    const bit = runtimes.findIndex((runtime) => runtime === requirements.runtime)
    this.runtime = columns.size - (bit < 0 ? 0 : columns.runtimeCounts[bit]!)
    this.duration =
      columns.minDurationSorted.size - columns.minDurationSorted.countAtMost(duration) + columns.maxDurationSorted.countBelow(duration)
    this.countOverCapacity(columns)

    if (this.wantedModel.length === 0) {
      this.countPrices(columns)
      this.visitCheapest(columns)
    } else if (this.wantedModel.length === 1 && this.wantedModel[0]! !== -1) {
      // One GPU requirement of a named model: each ask that has it free has one pool entry of it.
      const entries = columns.modelEntries[this.wantedModel[0]!] ?? []
      this.gpu = columns.size - entries.length
      this.fill(entries, entries.length)
      for (let from = 0; from < entries.length; from += CHUNK) this.scanModelEntries(columns, from, Math.min(from + CHUNK, entries.length))
    } else if (this.wantedModel.length === 1) {
      // One GPU requirement of any model: the ask's first fitting GPU, cheapest first.
      this.gpu = columns.size - columns.gpuSlotCount
      for (let from = 0; from < columns.gpuSlotCount; from += CHUNK)
        this.scanAnyModel(columns, from, Math.min(from + CHUNK, columns.gpuSlotCount))
    } else {
      // Only an ask with every model the bid names can serve it: look at the shortest such list.
      let entries: number[] | undefined
      for (const model of this.wantedModel)
        if (model !== -1 && (entries === undefined || (columns.modelEntries[model] ?? []).length < entries.length))
          entries = columns.modelEntries[model] ?? []
      const length = entries ? entries.length : columns.gpuSlotCount
      if (this.gpuSlots.length < length) this.gpuSlots = new Int32Array(Math.max(length, 1024))
      for (let at = 0; at < length; at++) this.gpuSlots[at] = entries ? columns.gpuEntrySlot[entries[at]!]! : at
      this.gpu = columns.size - length
      for (let from = 0; from < length; from += CHUNK) {
        const to = Math.min(from + CHUNK, length)
        this.assignGpus(columns, from, to)
        this.scanGpuAsks(columns, from, to)
      }
    }
  }

  private fill(list: ArrayLike<number>, length: number): void {
    if (this.gpuSlots.length < length) this.gpuSlots = new Int32Array(Math.max(length, 1024))
    for (let at = 0; at < length; at++) this.gpuSlots[at] = list[at]!
  }

  /** Whether the ask in `slot` fails each criterion the columns decide alone: expired, runtime, duration, capacity. */
  failures(columns: AskColumns, slot: number): [boolean, boolean, boolean, boolean] {
    return [
      this.now >= columns.expiry[slot]!,
      (columns.runtimeMask[slot]! & this.runtimeBit) === 0,
      this.seconds < columns.minDuration[slot]! || this.seconds > columns.maxDuration[slot]!,
      this.cpu > columns.freeCpu[slot]! || this.memory > columns.freeMemory[slot]! || this.disk > columns.freeDisk[slot]!,
    ]
  }

  /** Whether the ask in `slot` fails none of them. */
  private isClean(columns: AskColumns, slot: number): boolean {
    return (
      this.now < columns.expiry[slot]! &&
      (columns.runtimeMask[slot]! & this.runtimeBit) !== 0 &&
      this.seconds >= columns.minDuration[slot]! &&
      this.seconds <= columns.maxDuration[slot]! &&
      this.cpu <= columns.freeCpu[slot]! &&
      this.memory <= columns.freeMemory[slot]! &&
      this.disk <= columns.freeDisk[slot]!
    )
  }

  private countOverCapacity(columns: AskColumns): void {
    const { freeCpu, freeMemory, freeDisk } = columns
    const fitting = columns.capacityCounter().countFitting([freeCpu, freeMemory, freeDisk], this.cpu, this.memory, this.disk)
    this.capacity = columns.size - fitting
  }

  /**
   * Counts price failures row by row on the price grid. Along a row the cells'
   * price bounds never decrease, so the row splits into a run that surely
   * passes, one that surely fails (counted by the row's tree) and the cells
   * between (and, for prices near uint128, after), whose asks are looked at.
   */
  private countPrices(columns: AskColumns): void {
    const grid = columns.priceGrid()
    grid.refreshBounds()
    const { bins, cells, xLeast, xMost, yLeast, yMost } = grid
    const { cpuUnit, memoryUnit } = columns
    const { cpu, memory, pass, fail, safe, exactSlots } = this
    let price = 0
    let exactCount = this.exactCount
    for (let cpuBin = 0; cpuBin < bins; cpuBin++) {
      const least = cpu * xLeast[cpuBin]!
      const most = cpu * xMost[cpuBin]!
      // The same float expression as an ask's price, so that a bound holds for every ask it covers.
      const passing = firstAbove(yMost, 0, most, memory, pass)
      const failing = firstAbove(yLeast, passing, least, memory, fail)
      const safeEnd = firstAbove(yMost, failing, most, memory, safe)
      price += grid.countRow(cpuBin, failing, safeEnd)
      for (let memoryBin = passing; memoryBin < bins; memoryBin++) {
        if (memoryBin === failing) memoryBin = safeEnd
        if (memoryBin >= bins) break
        for (const slot of cells[cpuBin * bins + memoryBin]!) {
          const s = cpu * cpuUnit[slot]! + memory * memoryUnit[slot]!
          if (s <= pass) continue
          if (s > fail && s <= safe) price++
          else exactSlots[exactCount++] = slot
        }
      }
    }
    this.price = price
    this.exactCount = exactCount
  }

  /**
   * Visits cells in increasing order of their least possible price (a cell's
   * bound never falls below its neighbours' to the left and above), until no
   * unvisited ask can be among the best, or, while none matches, the cheapest.
   */
  private visitCheapest(columns: AskColumns): void {
    const { bins, cells } = columns.priceGrid()
    const count = bins * bins
    if (this.cellSeen.length < count) {
      this.cellKeys = new Float64Array(count)
      this.cellIds = new Int32Array(count)
      this.cellSeen = new Int32Array(count)
    }
    this.epoch++
    this.cellCount = 0
    this.reach(columns, 0)
    while (this.cellCount > 0) {
      const bound = this.found > 0 ? Math.min(this.pass, this.bestReach) : Math.max(this.pass, this.cheapReach)
      if (this.cellKeys[0]! > bound) break
      const cell = this.popCell()
      this.visit(columns, cells[cell]!)
      if (cell + bins < count) this.reach(columns, cell + bins)
      if ((cell + 1) % bins !== 0) this.reach(columns, cell + 1)
    }
  }

  /** Queues a cell, once per match, keyed by the least float price any of its asks can have. */
  private reach(columns: AskColumns, cell: number): void {
    const { cellKeys, cellIds, cellSeen } = this
    if (cellSeen[cell] === this.epoch) return
    cellSeen[cell] = this.epoch
    const { bins, xLeast, yLeast } = columns.priceGrid()
    const key = this.cpu * xLeast[(cell / bins) | 0]! + this.memory * yLeast[cell % bins]!
    let at = this.cellCount++
    while (at > 0) {
      const parent = (at - 1) >> 1
      if (cellKeys[parent]! <= key) break
      cellKeys[at] = cellKeys[parent]!
      cellIds[at] = cellIds[parent]!
      at = parent
    }
    cellKeys[at] = key
    cellIds[at] = cell
  }

  private popCell(): number {
    const { cellKeys, cellIds } = this
    const cell = cellIds[0]!
    const size = --this.cellCount
    const lastKey = cellKeys[size]!
    const lastId = cellIds[size]!
    let at = 0
    while (true) {
      let child = 2 * at + 1
      if (child >= size) break
      if (child + 1 < size && cellKeys[child + 1]! < cellKeys[child]!) child++
      if (cellKeys[child]! >= lastKey) break
      cellKeys[at] = cellKeys[child]!
      cellIds[at] = cellIds[child]!
      at = child
    }
    cellKeys[at] = lastKey
    cellIds[at] = lastId
    return cell
  }

  private visit(columns: AskColumns, slots: readonly number[]): void {
    const { cpuUnit, memoryUnit } = columns
    for (const slot of slots) {
      const s = this.cpu * cpuUnit[slot]! + this.memory * memoryUnit[slot]!
      const passes = s <= this.pass
      // Undecided asks went to the exact rules when prices were counted.
      if (!passes && !(s > this.fail && s <= this.safe)) continue
      if (!this.isClean(columns, slot)) continue
      if (passes) {
        this.found++
        if (s <= this.bestReach) this.keepBest(slot, s)
      } else if (s <= this.cheapReach) this.keepCheap(slot, s)
    }
  }

  /**
   * Counts one ask that can have the bid's GPUs, at float price `s` per second,
   * and keeps it when it may be among the best or the cheapest. Branch-free
   * where the outcome is a coin toss per ask: a mispredicted branch costs more
   * than the tests.
   */
  private judge(columns: AskColumns, slot: number, s: number): void {
    const passes = +(s <= this.pass)
    const fails = +(s > this.fail) & +(s <= this.safe)
    if ((passes | fails) === 0) {
      this.exactSlots[this.exactCount++] = slot
      return
    }
    const clean =
      +(this.now < columns.expiry[slot]!) &
      +((columns.runtimeMask[slot]! & this.runtimeBit) !== 0) &
      +(this.seconds >= columns.minDuration[slot]!) &
      +(this.seconds <= columns.maxDuration[slot]!) &
      +(this.cpu <= columns.freeCpu[slot]!) &
      +(this.memory <= columns.freeMemory[slot]!) &
      +(this.disk <= columns.freeDisk[slot]!)
    this.price += fails
    this.found += passes & clean
    if ((passes & clean & +(s <= this.bestReach)) !== 0) this.keepBest(slot, s)
    else if ((fails & clean & +(s <= this.cheapReach)) !== 0) this.keepCheap(slot, s)
  }

  /** Keeps a clean matching ask that may be among the best `limit`. */
  private keepBest(slot: number, s: number): void {
    this.bestSlots[this.bestCount] = slot
    this.bestPrices[this.bestCount++] = s
    if (this.limit > 0 && this.offer(s)) this.bestReach = (this.heap[0]! * (1 + EPSILON) + this.slack) / (1 - EPSILON)
  }

  /** Keeps a clean ask failing on price alone that may be the cheapest such. */
  private keepCheap(slot: number, s: number): void {
    this.cheapSlots[this.cheapCount] = slot
    this.cheapPrices[this.cheapCount++] = s
    if (s < this.cheapest) {
      this.cheapest = s
      this.cheapReach = (s * (1 + EPSILON) + this.slack) / (1 - EPSILON)
    }
  }

  /**
   * `assignGpus` on the columns for the asks with GPUs in `[from, to)`: each
   * requirement in turn takes the first of the ask's GPUs (cheapest first, then
   * by model) that fits it. Leaves each ask's float GPU price per second, or -1.
   */
  private assignGpus(columns: AskColumns, from: number, to: number): void {
    const { gpuStart, gpuLength, gpuModel, gpuVram, gpuFree, gpuUnit } = columns
    const { gpuSlots, wantedModel, wantedVram, wantedCount, left, gpuCost } = this
    const wanted = wantedModel.length
    for (let index = from; index < to; index++) {
      const slot = gpuSlots[index]!
      const start = gpuStart[slot]!
      const end = start + gpuLength[slot]!
      let cost = 0
      for (let at = start; at < end; at++) left[at - start] = gpuFree[at]!
      for (let requirement = 0; requirement < wanted && cost >= 0; requirement++) {
        const model = wantedModel[requirement]!
        const count = wantedCount[requirement]!
        let chosen = -1
        for (let at = start; at < end; at++) {
          if ((model === -1 || model === gpuModel[at]) && gpuVram[at]! >= wantedVram[requirement]! && left[at - start]! >= count) {
            chosen = at
            break
          }
        }
        if (chosen < 0) cost = -1
        else {
          left[chosen - start]! -= count
          cost += count * gpuUnit[chosen]!
        }
      }
      gpuCost[index - from] = cost
    }
  }

  /** The GPU asks for a bid with one requirement of a named model: that model's pool entries. */
  private scanModelEntries(columns: AskColumns, from: number, to: number): void {
    const { cpuUnit, memoryUnit, gpuEntrySlot, gpuVram, gpuFree, gpuUnit } = columns
    const { gpuSlots: entries, cpu, memory } = this
    const vram = this.wantedVram[0]!
    const count = this.wantedCount[0]!
    let gpu = 0
    for (let index = from; index < to; index++) {
      const at = entries[index]!
      if (gpuVram[at]! < vram || gpuFree[at]! < count) {
        gpu++
        continue
      }
      const slot = gpuEntrySlot[at]!
      this.judge(columns, slot, cpu * cpuUnit[slot]! + memory * memoryUnit[slot]! + count * gpuUnit[at]!)
    }
    this.gpu += gpu
  }

  /** The GPU asks for a bid with one requirement of any model: the region of asks with GPUs, first fitting GPU. */
  private scanAnyModel(columns: AskColumns, from: number, to: number): void {
    const { cpuUnit, memoryUnit, gpuStart, gpuLength, gpuVram, gpuFree, gpuUnit } = columns
    const { cpu, memory } = this
    const vram = this.wantedVram[0]!
    const count = this.wantedCount[0]!
    let gpu = 0
    for (let slot = from; slot < to; slot++) {
      const start = gpuStart[slot]!
      const end = start + gpuLength[slot]!
      let chosen = start
      while (chosen < end && (gpuVram[chosen]! < vram || gpuFree[chosen]! < count)) chosen++
      if (chosen === end) {
        gpu++
        continue
      }
      this.judge(columns, slot, cpu * cpuUnit[slot]! + memory * memoryUnit[slot]! + count * gpuUnit[chosen]!)
    }
    this.gpu += gpu
  }

  /** The GPU asks for any other GPU bid, once {@link assignGpus} has priced their GPUs. */
  private scanGpuAsks(columns: AskColumns, from: number, to: number): void {
    const { cpuUnit, memoryUnit } = columns
    const { gpuSlots, gpuCost, cpu, memory } = this
    let gpu = 0
    for (let index = from; index < to; index++) {
      const cost = gpuCost[index - from]!
      if (cost < 0) {
        gpu++
        continue
      }
      const slot = gpuSlots[index]!
      this.judge(columns, slot, cpu * cpuUnit[slot]! + memory * memoryUnit[slot]! + cost)
    }
    this.gpu += gpu
  }

  private reset(columns: AskColumns, bid: Bid, limit: number): void {
    if (this.bestSlots.length < columns.size) {
      const length = columns.expiry.length
      this.bestSlots = new Int32Array(length)
      this.bestPrices = new Float64Array(length)
      this.cheapSlots = new Int32Array(length)
      this.cheapPrices = new Float64Array(length)
      this.exactSlots = new Int32Array(length)
    }
    const gpus = bid.requirements.gpus
    this.wantedModel = Int32Array.from(gpus, (gpu) => (gpu.model === '' ? -1 : (columns.models.get(gpu.model) ?? -2)))
    this.wantedVram = Float64Array.from(gpus, (gpu) => gpu.vramMiB)
    this.wantedCount = Float64Array.from(gpus, (gpu) => gpu.count)
    this.limit = limit < columns.size ? limit : 0
    if (this.heap.length < this.limit) this.heap = new Float64Array(this.limit)
    this.heapSize = 0
    this.expired = this.runtime = this.duration = this.capacity = this.gpu = this.price = 0
    this.bestCount = this.cheapCount = this.exactCount = this.found = 0
    this.bestReach = this.cheapest = this.cheapReach = Infinity
  }

  /** Offers a float price to the max-heap of the `limit` smallest; `true` once the heap is full and its top moved. */
  private offer(value: number): boolean {
    const heap = this.heap
    if (this.heapSize < this.limit) {
      let at = this.heapSize++
      while (at > 0) {
        const parent = (at - 1) >> 1
        if (heap[parent]! >= value) break
        heap[at] = heap[parent]!
        at = parent
      }
      heap[at] = value
      return this.heapSize === this.limit
    }
    if (value >= heap[0]!) return false
    let at = 0
    while (true) {
      const child = 2 * at + 1
      if (child >= this.heapSize) break
      const larger = child + 1 < this.heapSize && heap[child + 1]! > heap[child]! ? child + 1 : child
      if (heap[larger]! <= value) break
      heap[at] = heap[larger]!
      at = larger
    }
    heap[at] = value
    return true
  }
}

/** The first index at or after `from` where `base + factor × values[index] > limit`; `values` never decreases. */
function firstAbove(values: Float64Array, from: number, base: number, factor: number, limit: number): number {
  let low = from
  let high = values.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (base + factor * values[middle]! > limit) high = middle
    else low = middle + 1
  }
  return low
}
