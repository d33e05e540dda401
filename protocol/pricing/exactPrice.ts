import { PRICE_SCALE } from '../constants.ts'
import type { GpuAssignment } from '../matching/assignGpus.ts'
import type { UnitPrices } from '../types/ask.ts'
import type { Requirements } from '../types/resources.ts'
import { ceilDiv } from './math.ts'
import { exactMultiplier } from './utilizationMultiplier.ts'
import type { PricingCurve } from './pricingCurve.ts'

// CPU prices are per 1000 millicores and memory prices per 1024 MiB; scaling
// every term to 1/1_024_000 keeps the sum exact.
const UNIT_DENOMINATOR = 1_024_000n

export type ExactPriceParameters = {
  prices: Pick<UnitPrices, 'cpu' | 'memory'>
  requirements: Pick<Requirements, 'cpuMillicores' | 'memoryMiB'>
  gpus: readonly GpuAssignment[]
  duration: number
  utilization: bigint
  curve: PricingCurve
}

/**
 * The price of a bid on an ask in token smallest units, rounded up once at the
 * end, without an upper bound (callers check `uint128`).
 *
 * price = ⌈ duration × (cpuMillicores/1000 × cpu + memoryMiB/1024 × memory + Σ count × gpu) × multiplier(u) / PRICE_SCALE ⌉
 *
 * @param parameters - Unit prices, requirements, the GPU assignment, duration, utilization and curve.
 * @returns The price.
 */
export function exactPrice({ prices, requirements, gpus, duration, utilization, curve }: ExactPriceParameters): bigint {
  let perSecond =
    BigInt(requirements.cpuMillicores) * prices.cpu * 1024n + BigInt(requirements.memoryMiB) * prices.memory * 1000n
  for (const gpu of gpus) perSecond += BigInt(gpu.count) * gpu.price * UNIT_DENOMINATOR
  const multiplier = exactMultiplier(utilization, curve)
  return ceilDiv(BigInt(duration) * perSecond * multiplier, UNIT_DENOMINATOR * PRICE_SCALE * 10n ** 36n)
}
