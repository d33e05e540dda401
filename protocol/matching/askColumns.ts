import type { Hex } from 'viem'
import { MAX_UINT128, MAX_UINT32 } from '../constants.ts'
import { askUtilization } from '../pricing/askUtilization.ts'
import type { PricingCurve } from '../pricing/pricingCurve.ts'
import { exactMultiplier } from '../pricing/utilizationMultiplier.ts'
import type { Ask, AskEntry } from '../types/ask.ts'
import { runtimes } from '../types/resources.ts'

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
 * The asks of a book as parallel typed arrays, one slot per ask, kept dense:
 * removing an ask moves the last one into its slot. Each ask's priced free GPUs
 * sit in a shared pool, cheapest first (then by model), the order in which
 * `assignGpus` prefers them; removals leave holes that a compaction reclaims.
 *
 * Float columns derived from prices and the utilization multiplier are kept for
 * one pricing curve at a time and recomputed when a match asks for another.
 */
export class AskColumns {
  size = 0
  entries: AskEntry[] = []
  asks: Ask[] = []
  hashes: Hex[] = []
  utilization: bigint[] = []
  /** Exact multiplier × 1e36 at each ask's utilization, for {@link curve}. */
  multiplier: bigint[] = []
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
  models = new Map<string, number>()

  /** The largest collateral ratio ever held: it bounds every ask's collateral from above. */
  maxCollateralBps = 10_000
  curve: PricingCurve
  private curveKey: string

  constructor(curve: PricingCurve) {
    this.curve = curve
    this.curveKey = keyOf(curve)
  }

  /** Adds a columnar ask under its lowercase hash; the caller checks it is new. */
  add(entry: AskEntry, key: Hex): void {
    const { ask } = entry
    if (this.size === this.expiry.length) this.grow(Math.max(1024, this.size * 2))
    const slot = this.size++
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
    if (ask.collateralBps > this.maxCollateralBps) this.maxCollateralBps = ask.collateralBps

    const prices = new Map(ask.prices.gpus.map((gpu) => [gpu.model, gpu.price]))
    const priced = ask.free.gpus
      .filter((gpu) => prices.has(gpu.model))
      .map((gpu) => ({ ...gpu, price: prices.get(gpu.model)! }))
      .sort((a, b) => (a.price !== b.price ? (a.price < b.price ? -1 : 1) : a.model < b.model ? -1 : a.model > b.model ? 1 : 0))
    if (this.gpuPoolSize + priced.length > this.gpuModel.length) this.growPool(priced.length)
    this.gpuStart[slot] = this.gpuPoolSize
    this.gpuLength[slot] = priced.length
    for (const gpu of priced) {
      let model = this.models.get(gpu.model)
      if (model === undefined) this.models.set(gpu.model, (model = this.models.size))
      const at = this.gpuPoolSize++
      this.gpuModel[at] = model
      this.gpuVram[at] = gpu.vramMiB
      this.gpuFree[at] = gpu.count
      this.gpuPrice[at] = gpu.price
    }
    this.price(slot)
  }

  /** Removes the ask in `slot`, moving the last ask into it. */
  remove(slot: number): void {
    const last = --this.size
    this.slots.delete(this.hashes[slot]!)
    this.gpuPoolHoles += this.gpuLength[slot]!
    if (slot !== last) {
      this.entries[slot] = this.entries[last]!
      this.asks[slot] = this.asks[last]!
      this.hashes[slot] = this.hashes[last]!
      this.utilization[slot] = this.utilization[last]!
      this.multiplier[slot] = this.multiplier[last]!
      this.slots.set(this.hashes[slot]!, slot)
      for (const column of this.numericColumns()) column[slot] = column[last]!
    }
    this.entries.length = this.asks.length = this.hashes.length = this.size
    this.utilization.length = this.multiplier.length = this.size
    if (this.gpuPoolHoles > 1024 && this.gpuPoolHoles * 2 > this.gpuPoolSize) this.compactPool()
  }

  /** Makes the price columns those of `curve` (already checked to be valid). */
  usePricing(curve: PricingCurve): void {
    const key = keyOf(curve)
    if (key === this.curveKey) return
    this.curve = curve
    this.curveKey = key
    for (let slot = 0; slot < this.size; slot++) this.price(slot)
  }

  private price(slot: number): void {
    const ask = this.asks[slot]!
    const multiplier = exactMultiplier(this.utilization[slot]!, this.curve)
    this.multiplier[slot] = multiplier
    const m = Number(multiplier) / 1e36
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
  }

  private compactPool(): void {
    // Slots are not in pool order after moves, so copy into fresh columns.
    const capacity = Math.max(1024, (this.gpuPoolSize - this.gpuPoolHoles) * 2)
    const model = new Int32Array(capacity)
    const vram = new Uint32Array(capacity)
    const free = new Uint32Array(capacity)
    const unit = new Float64Array(capacity)
    const price: bigint[] = []
    let size = 0
    for (let slot = 0; slot < this.size; slot++) {
      const start = this.gpuStart[slot]!
      const end = start + this.gpuLength[slot]!
      model.set(this.gpuModel.subarray(start, end), size)
      vram.set(this.gpuVram.subarray(start, end), size)
      free.set(this.gpuFree.subarray(start, end), size)
      unit.set(this.gpuUnit.subarray(start, end), size)
      for (let at = start; at < end; at++) price.push(this.gpuPrice[at]!)
      this.gpuStart[slot] = size
      size = price.length
    }
    this.gpuModel = model
    this.gpuVram = vram
    this.gpuFree = free
    this.gpuUnit = unit
    this.gpuPrice = price
    this.gpuPoolSize = size
    this.gpuPoolHoles = 0
  }
}

function keyOf(curve: PricingCurve): string {
  return `${curve.kink}:${curve.slope1}:${curve.slope2}`
}
