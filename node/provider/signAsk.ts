import type { Hex } from 'viem'
import { askTypedData } from '../../protocol/eip712/askTypedData.ts'
import { hashAsk } from '../../protocol/eip712/hashAsk.ts'
import type { Ask, SignedAsk } from '../../protocol/types/ask.ts'
import type { Gpu, Resources } from '../../protocol/types/resources.ts'
import type { Capacity } from '../runtime/resources/capacityLedger.ts'
import type { ProviderContext } from './context.ts'

/** Groups detected GPUs by model into the ask's `{ model, vramMiB, count }` entries. */
export function toResources(capacity: Capacity): Resources {
  const gpus = new Map<string, Gpu>()
  for (const gpu of capacity.gpus) {
    const entry = gpus.get(gpu.model)
    if (entry) entry.count += 1
    else gpus.set(gpu.model, { model: gpu.model, vramMiB: gpu.vramMiB, count: 1 })
  }
  return { cpuMillicores: capacity.cpuMillicores, memoryMiB: capacity.memoryMiB, diskMiB: capacity.diskMiB, gpus: [...gpus.values()].sort((a, b) => (a.model < b.model ? -1 : 1)) }
}

/** What is free of the advertised capacity now, in the ask's terms. */
export function freeResources(context: Pick<ProviderContext, 'ledger' | 'advertisedResources'>): Resources {
  const free = toResources(context.ledger.free())
  // A model with every unit taken stays listed with count 0, so the schema and the price table keep it.
  return { ...free, gpus: context.advertisedResources.gpus.map((gpu) => ({ ...gpu, count: free.gpus.find((f) => f.model === gpu.model)?.count ?? 0 })) }
}

/**
 * Signs the provider's current ask: its advertised capacity, what is free of it
 * now, its prices. The sequence is the time in milliseconds, so it only grows,
 * across restarts too, and a newer ask replaces an older one everywhere.
 */
export async function signAsk(context: ProviderContext): Promise<{ signed: SignedAsk; hash: Hex }> {
  const now = Math.floor(Date.now() / 1000)
  const ask: Ask = {
    provider: context.address,
    peerId: context.host.peerId.toString(),
    capacity: context.advertisedResources,
    free: freeResources(context),
    runtimes: Object.keys(context.runtimes).sort() as Ask['runtimes'],
    prices: context.prices,
    minDuration: context.minDuration,
    maxDuration: context.maxDuration,
    collateralBps: context.collateralBps,
    createdAt: now,
    expiry: now + context.askTtlSeconds,
    sequence: Date.now(),
    cancelNonce: 0,
  }
  const market = { chainId: context.deployment.chainId, market: context.deployment.market }
  const signature = await context.clients.wallet.signTypedData(askTypedData(ask, market))
  return { signed: { chainId: market.chainId, market: market.market, ask, signature }, hash: hashAsk(ask, market) }
}
