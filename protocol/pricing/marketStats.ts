import { reservedRatio } from './askUtilization.ts'
import type { Ask } from '../types/ask.ts'

/** Nearest-rank quantiles of a set of prices. */
export type PriceQuantiles = {
  count: number
  min: bigint
  p25: bigint
  median: bigint
  p75: bigint
  max: bigint
}

/** Advertised, free and utilization of one resource across the book. */
export type ResourceUsage = {
  capacity: number
  free: number
  /** (capacity − free) / capacity, 1e18 = 100%, rounded up; 0 when nothing is advertised. */
  utilization: bigint
}

export type MarketStatsParameters = {
  /** When given, asks with `expiry ≤ now` are left out. */
  now?: number | undefined
}

export type MarketStatsReturnType = {
  /** Asks counted. */
  asks: number
  usage: {
    cpuMillicores: ResourceUsage
    memoryMiB: ResourceUsage
    diskMiB: ResourceUsage
    /** All GPUs, counted in devices. */
    gpus: ResourceUsage
    /** GPUs by model, sorted by model. */
    gpuModels: (ResourceUsage & { model: string })[]
  }
  /** Unit prices (× `PRICE_SCALE`) across asks; absent where no ask prices the resource. */
  prices: {
    cpu?: PriceQuantiles | undefined
    memory?: PriceQuantiles | undefined
    /** Per GPU model, sorted by model. */
    gpus: (PriceQuantiles & { model: string })[]
  }
}

/**
 * Book-wide utilization per resource and unit-price quantiles per resource
 * class, over a list of asks (one per provider).
 *
 * @param asks - The book.
 * @param parameters - Optionally `now`, to leave out expired asks.
 * @returns Usage and price quantiles.
 * @example
 * const stats = marketStats(book.map((entry) => entry.ask), { now })
 */
export function marketStats(asks: readonly Ask[], { now }: MarketStatsParameters = {}): MarketStatsReturnType {
  const live = now === undefined ? asks : asks.filter((ask) => now < ask.expiry)
  const usage = (field: 'cpuMillicores' | 'memoryMiB' | 'diskMiB'): ResourceUsage => {
    let capacity = 0
    let free = 0
    for (const ask of live) {
      capacity += ask.capacity[field]
      free += ask.free[field]
    }
    return { capacity, free, utilization: reservedRatio(capacity, free) }
  }

  const models = [...new Set(live.flatMap((ask) => ask.capacity.gpus.map((gpu) => gpu.model)))].sort()
  const gpuModels = models.map((model) => {
    let capacity = 0
    let free = 0
    for (const ask of live) {
      capacity += ask.capacity.gpus.find((gpu) => gpu.model === model)?.count ?? 0
      free += ask.free.gpus.find((gpu) => gpu.model === model)?.count ?? 0
    }
    return { model, capacity, free, utilization: reservedRatio(capacity, free) }
  })
  const gpuCapacity = gpuModels.reduce((total, gpu) => total + gpu.capacity, 0)
  const gpuFree = gpuModels.reduce((total, gpu) => total + gpu.free, 0)

  return {
    asks: live.length,
    usage: {
      cpuMillicores: usage('cpuMillicores'),
      memoryMiB: usage('memoryMiB'),
      diskMiB: usage('diskMiB'),
      gpus: { capacity: gpuCapacity, free: gpuFree, utilization: reservedRatio(gpuCapacity, gpuFree) },
      gpuModels,
    },
    prices: {
      cpu: quantiles(live.map((ask) => ask.prices.cpu)),
      memory: quantiles(live.map((ask) => ask.prices.memory)),
      gpus: models.map((model) => ({
        model,
        ...quantiles(live.flatMap((ask) => ask.prices.gpus.filter((gpu) => gpu.model === model).map((gpu) => gpu.price)))!,
      })),
    },
  }
}

function quantiles(values: bigint[]): PriceQuantiles | undefined {
  if (values.length === 0) return undefined
  const sorted = [...values].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
  // Nearest rank: the smallest value with at least q of the set at or below it.
  const at = (q: number) => sorted[Math.max(Math.ceil(q * sorted.length) - 1, 0)]!
  return { count: sorted.length, min: sorted[0]!, p25: at(0.25), median: at(0.5), p75: at(0.75), max: sorted[sorted.length - 1]! }
}
