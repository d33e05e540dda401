import type { Ask } from '../types/ask.ts'
import type { Gpu } from '../types/resources.ts'

/** GPUs of one model taken from an ask for one requirement. */
export type GpuAssignment = {
  model: string
  vramMiB: number
  count: number
  /** The ask's price per GPU-second of this model (× `PRICE_SCALE`). */
  price: bigint
}

export type AssignGpusReturnType = GpuAssignment[] | undefined

/**
 * Chooses which of an ask's free GPUs serve a bid's GPU requirements.
 * Requirements are served in the bid's order; each takes all its GPUs from one
 * model that matches (an empty requirement model matches any), has at least the
 * VRAM asked for and enough left: the cheapest such model, then the first by
 * name. Greedy, so that every peer picks the same GPUs.
 *
 * @param requirements - The bid's GPU requirements.
 * @param ask - The ask.
 * @returns One assignment per requirement, or `undefined` when some requirement cannot be served.
 * @example
 * assignGpus([{ model: '', vramMiB: 40_000, count: 1 }], ask) // [{ model: 'nvidia-a100-80gb', … }]
 */
export function assignGpus(requirements: readonly Gpu[], ask: Ask): AssignGpusReturnType {
  const left = new Map(ask.free.gpus.map((gpu) => [gpu.model, gpu.count]))
  const prices = new Map(ask.prices.gpus.map((gpu) => [gpu.model, gpu.price]))
  const assignments: GpuAssignment[] = []
  for (const requirement of requirements) {
    let best: GpuAssignment | undefined
    for (const gpu of ask.free.gpus) {
      if (requirement.model !== '' && requirement.model !== gpu.model) continue
      if (gpu.vramMiB < requirement.vramMiB || (left.get(gpu.model) ?? 0) < requirement.count) continue
      const price = prices.get(gpu.model)
      if (price === undefined) continue
      if (!best || price < best.price || (price === best.price && gpu.model < best.model))
        best = { model: gpu.model, vramMiB: gpu.vramMiB, count: requirement.count, price }
    }
    if (!best) return undefined
    left.set(best.model, left.get(best.model)! - best.count)
    assignments.push(best)
  }
  return assignments
}
