import type { Hex } from 'viem'
import { MAX_UINT128, MAX_UINT32 } from '../constants.ts'
import { askUtilization } from '../pricing/askUtilization.ts'
import type { PricingCurve } from '../pricing/pricingCurve.ts'
import { exactMultiplier } from '../pricing/utilizationMultiplier.ts'
import type { Ask, AskEntry } from '../types/ask.ts'
import { runtimes } from '../types/resources.ts'
import { CapacityCounter } from './capacityCounter.ts'
import { Grid } from './grid.ts'
import { SortedValues } from './sortedValues.ts'

/** Most free GPU entries of a columnar ask (the schema allows 8). */
export const MAX_COLUMNAR_GPUS = 64

/** One bit per known runtime, in the order of `runtimes`. */
export const runtimeBits: ReadonlyMap<string, number> = new Map(runtimes.map((runtime, index) => [runtime, 1 << index]))

/**
 * Whether every field the columns hold fits them exactly, so that a column
 * comparison gives the same answer as {@link evaluateAsk} on the ask. Schema
 * valid asks always do; the rest are evaluated one by one.
 */
export function isColumnarAsk(ask: Ask): boolean {
  const isUint32 = (value: number) => Number.isInteger(value) && value >= 0 && value <= MAX_UINT32
  const isPrice = (value: bigint) => typeof value === 'bigint' && value >= 0n && value <= MAX_UINT128
  const { free, prices } = ask
  if (![free.cpuMillicores, free.memoryMiB, free.diskMiB, ask.minDuration, ask.maxDuration, ask.collateralBps].every(isUint32))
    return false
  if (!Number.isFinite(ask.expiry) || !Number.isFinite(ask.createdAt)) return false
  // Then no bid duration is both below the minimum and above the maximum, and the two counts add up.
  if (ask.minDuration > ask.maxDuration) return false
  if (!ask.runtimes.every((runtime) => runtimeBits.has(runtime))) return false
  if (!isPrice(prices.cpu) || !isPrice(prices.memory) || !prices.gpus.every((gpu) => isPrice(gpu.price))) return false
  if (free.gpus.length > MAX_COLUMNAR_GPUS || !free.gpus.every((gpu) => isUint32(gpu.vramMiB) && isUint32(gpu.count))) return false
  // assignGpus keys free counts and prices by model: with one entry per model, an entry is its model.
  if (new Set(free.gpus.map((gpu) => gpu.model)).size !== free.gpus.length) return false
  if (new Set(prices.gpus.map((gpu) => gpu.model)).size !== prices.gpus.length) return false
  try {
    askUtilization(ask)
  } catch {
    return false
  }
  return true
}

/**
 * The asks of a book as parallel typed arrays, one slot per ask, kept dense
 * and in two regions: asks with priced free GPUs first (`[0, gpuSlotCount)`),
 * then the others, so that a GPU bid reads one compact region. Removing an ask
 * moves at most two others to close the gap. Each ask's priced free GPUs sit in
 * a shared pool, cheapest first (then by model), the order in which
 * `assignGpus` prefers them; removals leave holes that a compaction reclaims.
 *
 * Beside the columns: sorted copies of expiry and durations, per-runtime
 * tallies, per-model lists of pool entries, the price grid and the capacity
 * counter, all kept in step. Float columns derived from prices and the
 * utilization multiplier are kept for one pricing curve at a time.
 */
export class AskColumns {
  size = 0
  /** Asks with priced free GPUs: they fill slots `[0, gpuSlotCount)`. */
  gpuSlotCount = 0
  entries: AskEntry[] = []
  asks: Ask[] = []
  hashes: Hex[] = []
  utilization: bigint[] = []
  slots = new Map<string, number>()

  expiry = new Float64Array(0)
  minDuration = new Uint32Array(0)
  maxDuration = new Uint32Array(0)
  freeCpu = new Uint32Array(0)
  freeMemory = new Uint32Array(0)
  freeDisk = new Uint32Array(0)
  runtimeMask = new Uint8Array(0)
  /** Price per millicore-second, multiplier included, in token units: `cpu × m / (1000 × PRICE_SCALE)`. */
  cpuUnit = new Float64Array(0)
  /** Price per MiB-second, multiplier included: `memory × m / (1024 × PRICE_SCALE)`. */
  memoryUnit = new Float64Array(0)
  gpuStart = new Uint32Array(0)
  gpuLength = new Uint16Array(0)

  gpuPoolSize = 0
  gpuPoolHoles = 0
  gpuModel = new Int32Array(0)
  gpuVram = new Uint32Array(0)
  gpuFree = new Uint32Array(0)
  /** Price per GPU-second, multiplier included: `price × m / PRICE_SCALE`. */
  gpuUnit = new Float64Array(0)
  gpuPrice: bigint[] = []
  /** Per pool entry, the slot of its ask and its place in its model's list. */
  gpuEntrySlot = new Int32Array(0)
  gpuEntryPosition = new Int32Array(0)
  models = new Map<string, number>()
  /** Per GPU model, its pool entries (one per ask with the model free and priced). */
  modelEntries: number[][] = []

  /** Sorted copies of columns, to count asks below or above a bound without a pass. */
  expirySorted = new SortedValues()
  minDurationSorted = new SortedValues()
  maxDurationSorted = new SortedValues()
  /** Per runtime bit, how many asks accept the runtime. */
  runtimeCounts = new Int32Array(runtimes.length)
  /** The largest collateral ratio ever held: it bounds every ask's collateral from above. */
  maxCollateralBps = 10_000
  curve: PricingCurve
  private curveKey: string
  private grid: Grid | undefined
  private capacity: CapacityCounter | undefined

  constructor(curve: PricingCurve) {
    this.curve = curve
    this.curveKey = keyOf(curve)
  }

  /**
   * Adds a columnar ask under its lowercase hash; the caller checks it is new.
   * With `bulk`, sorted copies are put in order and the grids drawn by {@link prepare}.
   */
  add(entry: AskEntry, key: Hex, bulk = false): void {
    const { ask } = entry
    if (this.size === this.expiry.length) this.grow(Math.max(1024, this.size * 2))
    const prices = new Map(ask.prices.gpus.map((gpu) => [gpu.model, gpu.price]))
    const priced = ask.free.gpus
      .filter((gpu) => prices.has(gpu.model))
      .map((gpu) => ({ ...gpu, price: prices.get(gpu.model)! }))
      .sort((a, b) => (a.price !== b.price ? (a.price < b.price ? -1 : 1) : a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
    let slot = this.size++
    if (priced.length > 0) {
      // Make room at the end of the GPU region: its first non-GPU ask moves to the end.
      if (this.gpuSlotCount < slot) this.relocate(this.gpuSlotCount, slot)
      slot = this.gpuSlotCount++
    }

    this.entries[slot] = entry
    this.asks[slot] = ask
    this.hashes[slot] = key
    this.slots.set(key, slot)
    this.utilization[slot] = askUtilization(ask)
    this.expiry[slot] = ask.expiry
    this.minDuration[slot] = ask.minDuration
    this.maxDuration[slot] = ask.maxDuration
    this.freeCpu[slot] = ask.free.cpuMillicores
    this.freeMemory[slot] = ask.free.memoryMiB
    this.freeDisk[slot] = ask.free.diskMiB
    let mask = 0
    for (const runtime of ask.runtimes) mask |= runtimeBits.get(runtime)!
    this.runtimeMask[slot] = mask
    for (let bit = 0; bit < runtimes.length; bit++) if (mask & (1 << bit)) this.runtimeCounts[bit]!++
    this.expirySorted.insert(ask.expiry, bulk)
    this.minDurationSorted.insert(ask.minDuration, bulk)
    this.maxDurationSorted.insert(ask.maxDuration, bulk)
    if (ask.collateralBps > this.maxCollateralBps) this.maxCollateralBps = ask.collateralBps

    if (this.gpuPoolSize + priced.length > this.gpuModel.length) this.growPool(priced.length)
    this.gpuStart[slot] = this.gpuPoolSize
    this.gpuLength[slot] = priced.length
    for (const gpu of priced) {
      let model = this.models.get(gpu.model)
      if (model === undefined) {
        this.models.set(gpu.model, (model = this.models.size))
        this.modelEntries.push([])
      }
      const at = this.gpuPoolSize++
      this.gpuModel[at] = model
      this.gpuVram[at] = gpu.vramMiB
      this.gpuFree[at] = gpu.count
      this.gpuPrice[at] = gpu.price
      this.gpuEntrySlot[at] = slot
      this.gpuEntryPosition[at] = this.modelEntries[model]!.length
      this.modelEntries[model]!.push(at)
    }
    this.price(slot)
    this.grid?.add(slot, this.cpuUnit[slot]!, this.memoryUnit[slot]!)
    this.capacity?.add(slot, ask.free.cpuMillicores, ask.free.memoryMiB, ask.free.diskMiB)
  }

  /** Removes the ask in `slot`, moving at most two others to keep both regions dense. */
  remove(slot: number): void {
    this.slots.delete(this.hashes[slot]!)
    const mask = this.runtimeMask[slot]!
    for (let bit = 0; bit < runtimes.length; bit++) if (mask & (1 << bit)) this.runtimeCounts[bit]!--
    this.expirySorted.delete(this.expiry[slot]!)
    this.minDurationSorted.delete(this.minDuration[slot]!)
    this.maxDurationSorted.delete(this.maxDuration[slot]!)
    const start = this.gpuStart[slot]!
    for (let at = start; at < start + this.gpuLength[slot]!; at++) {
      const list = this.modelEntries[this.gpuModel[at]!]!
      const moved = list.pop()!
      if (moved === at) continue
      list[this.gpuEntryPosition[at]!] = moved
      this.gpuEntryPosition[moved] = this.gpuEntryPosition[at]!
    }
    this.gpuPoolHoles += this.gpuLength[slot]!
    this.grid?.remove(slot)
    this.capacity?.remove(slot)

    let hole = slot
    if (slot < this.gpuSlotCount) {
      const lastGpu = --this.gpuSlotCount
      if (hole !== lastGpu) this.relocate(lastGpu, hole)
      hole = lastGpu
    }
    const last = --this.size
    if (hole !== last) this.relocate(last, hole)
    this.entries.length = this.asks.length = this.hashes.length = this.utilization.length = this.size
    if (this.gpuPoolHoles > 1024 && this.gpuPoolHoles * 2 > this.gpuPoolSize) this.compactPool()
  }

  /** Makes the price columns those of `curve` (already checked to be valid). */
  usePricing(curve: PricingCurve): void {
    const key = keyOf(curve)
    if (key === this.curveKey) return
    this.curve = curve
    this.curveKey = key
    for (let slot = 0; slot < this.size; slot++) this.price(slot)
    this.grid = undefined
  }

  /** Sorts and draws what a bulk load left undone, so that the next match does not pay for it. */
  prepare(): void {
    this.expirySorted.sort()
    this.minDurationSorted.sort()
    this.maxDurationSorted.sort()
    this.priceGrid()
    this.capacityCounter()
  }

  /** The asks on their float CPU and memory unit prices (current curve), drawn again when the book has halved or doubled. */
  priceGrid(): Grid {
    const grid = this.grid
    if (grid && this.size <= grid.builtSize * 2 && this.size * 2 >= grid.builtSize) return grid
    return (this.grid = new Grid(this.cpuUnit, this.memoryUnit, this.size))
  }

  /** Counts asks by free CPU, memory and disk; drawn again when the book has halved or doubled. */
  capacityCounter(): CapacityCounter {
    const counter = this.capacity
    if (counter && this.size <= counter.builtSize * 2 && this.size * 2 >= counter.builtSize) return counter
    return (this.capacity = new CapacityCounter([this.freeCpu, this.freeMemory, this.freeDisk], this.size))
  }

  /** Moves the ask in slot `from` to the free slot `to`, with every structure that names its slot. */
  private relocate(from: number, to: number): void {
    this.entries[to] = this.entries[from]!
    this.asks[to] = this.asks[from]!
    this.hashes[to] = this.hashes[from]!
    this.utilization[to] = this.utilization[from]!
    this.slots.set(this.hashes[to]!, to)
    for (const column of this.numericColumns()) column[to] = column[from]!
    const start = this.gpuStart[to]!
    for (let at = start; at < start + this.gpuLength[to]!; at++) this.gpuEntrySlot[at] = to
    this.grid?.move(from, to)
    this.capacity?.move(from, to)
  }

  private price(slot: number): void {
    const ask = this.asks[slot]!
    const m = Number(exactMultiplier(this.utilization[slot]!, this.curve)) / 1e36
    this.cpuUnit[slot] = (Number(ask.prices.cpu) * m) / 1e9
    this.memoryUnit[slot] = (Number(ask.prices.memory) * m) / 1.024e9
    const start = this.gpuStart[slot]!
    for (let at = start; at < start + this.gpuLength[slot]!; at++) this.gpuUnit[at] = (Number(this.gpuPrice[at]!) * m) / 1e6
  }

  private numericColumns() {
    return [
      this.expiry,
      this.minDuration,
      this.maxDuration,
      this.freeCpu,
      this.freeMemory,
      this.freeDisk,
      this.runtimeMask,
      this.cpuUnit,
      this.memoryUnit,
      this.gpuStart,
      this.gpuLength,
    ] as const
  }

  private grow(capacity: number): void {
    const resize = <T extends Float64Array | Uint32Array | Uint16Array | Uint8Array>(column: T): T => {
      const next = new (column.constructor as new (length: number) => T)(capacity)
      next.set(column)
      return next
    }
    this.expiry = resize(this.expiry)
    this.minDuration = resize(this.minDuration)
    this.maxDuration = resize(this.maxDuration)
    this.freeCpu = resize(this.freeCpu)
    this.freeMemory = resize(this.freeMemory)
    this.freeDisk = resize(this.freeDisk)
    this.runtimeMask = resize(this.runtimeMask)
    this.cpuUnit = resize(this.cpuUnit)
    this.memoryUnit = resize(this.memoryUnit)
    this.gpuStart = resize(this.gpuStart)
    this.gpuLength = resize(this.gpuLength)
  }

  private growPool(needed: number): void {
    const capacity = Math.max(1024, (this.gpuPoolSize + needed) * 2)
    const resize = <T extends Float64Array | Uint32Array | Int32Array>(column: T): T => {
      const next = new (column.constructor as new (length: number) => T)(capacity)
      next.set(column.subarray(0, this.gpuPoolSize))
      return next
    }
    this.gpuModel = resize(this.gpuModel)
    this.gpuVram = resize(this.gpuVram)
    this.gpuFree = resize(this.gpuFree)
    this.gpuUnit = resize(this.gpuUnit)
    this.gpuEntrySlot = resize(this.gpuEntrySlot)
    this.gpuEntryPosition = resize(this.gpuEntryPosition)
  }

  private compactPool(): void {
    // Slots are not in pool order after moves, so copy into fresh columns.
    const capacity = Math.max(1024, (this.gpuPoolSize - this.gpuPoolHoles) * 2)
    const model = new Int32Array(capacity)
    const vram = new Uint32Array(capacity)
    const free = new Uint32Array(capacity)
    const unit = new Float64Array(capacity)
    const entrySlot = new Int32Array(capacity)
    const entryPosition = new Int32Array(capacity)
    const price: bigint[] = []
    for (const list of this.modelEntries) list.length = 0
    for (let slot = 0; slot < this.gpuSlotCount; slot++) {
      const start = this.gpuStart[slot]!
      const end = start + this.gpuLength[slot]!
      model.set(this.gpuModel.subarray(start, end), price.length)
      vram.set(this.gpuVram.subarray(start, end), price.length)
      free.set(this.gpuFree.subarray(start, end), price.length)
      unit.set(this.gpuUnit.subarray(start, end), price.length)
      this.gpuStart[slot] = price.length
      for (let at = start; at < end; at++) {
        const list = this.modelEntries[this.gpuModel[at]!]!
        entrySlot[price.length] = slot
        entryPosition[price.length] = list.length
        list.push(price.length)
        price.push(this.gpuPrice[at]!)
      }
    }
    for (let slot = this.gpuSlotCount; slot < this.size; slot++) this.gpuStart[slot] = price.length
    this.gpuModel = model
    this.gpuVram = vram
    this.gpuFree = free
    this.gpuUnit = unit
    this.gpuEntrySlot = entrySlot
    this.gpuEntryPosition = entryPosition
    this.gpuPrice = price
    this.gpuPoolSize = price.length
    this.gpuPoolHoles = 0
  }
}

function keyOf(curve: PricingCurve): string {
  return `${curve.kink}:${curve.slope1}:${curve.slope2}`
}
