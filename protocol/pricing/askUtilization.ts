import { WAD } from '../constants.ts'
import type { Ask } from '../types/ask.ts'
import { ceilDiv } from './math.ts'

/**
 * `(capacity − free) / capacity` in 1e18 fixed point, rounded up.
 *
 * @param capacity - Advertised amount.
 * @param free - Free amount.
 * @returns The utilization; 0 when nothing is advertised.
 */
export function reservedRatio(capacity: number, free: number): bigint {
  if (capacity <= 0) return 0n
  const reserved = Math.min(Math.max(capacity - free, 0), capacity)
  return ceilDiv(BigInt(reserved) * WAD, BigInt(capacity))
}

/**
 * A provider's utilization as its ask shows it: the highest reserved share of
 * any priced resource (CPU, memory, each GPU model). The busiest resource sets
 * the price because it is the one that runs out. Disk is not priced, so it does
 * not count.
 *
 * @param ask - The ask.
 * @returns Utilization, 1e18 = 100%, rounded up.
 * @example
 * askUtilization(ask) // 5e17 when half the CPU is reserved and less of everything else
 */
export function askUtilization(ask: Ask): bigint {
  let utilization = reservedRatio(ask.capacity.cpuMillicores, ask.free.cpuMillicores)
  const memory = reservedRatio(ask.capacity.memoryMiB, ask.free.memoryMiB)
  if (memory > utilization) utilization = memory
  for (const gpu of ask.capacity.gpus) {
    const free = ask.free.gpus.find((entry) => entry.model === gpu.model)?.count ?? 0
    const share = reservedRatio(gpu.count, free)
    if (share > utilization) utilization = share
  }
  return utilization
}
