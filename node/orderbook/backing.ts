import { createPublicClient, http, type Address } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'

/** Whether providers' on-chain positions can back deals: the order book's admission check. */
export interface Backing {
  /** Whether `provider` can take on `collateral` more deal collateral now (within the cache's age). */
  canBack(provider: Address, collateral: bigint, options?: { signal?: AbortSignal }): Promise<boolean>
  /** Forgets what is known of `provider`, so the next check reads the chain (call it when its position changes). */
  invalidate(provider: Address): void
  /**
   * How much more deal collateral `provider` can back; the book evicts the
   * least backed asks first. Without it, a full book keeps what it holds.
   */
  available?(provider: Address, options?: { signal?: AbortSignal }): Promise<bigint>
}

export type CreateChainBackingInit = {
  /** How long a read stays fresh, ms (default 30 000). */
  ttlMs?: number
  /** Every check asks for at least this much (the market's minimum deal collateral); default 0. */
  minDealCollateral?: bigint
  /** Reads made within this many ms go out in one JSON-RPC batch (default 5). */
  batchWaitMs?: number
}

/**
 * Backing read from the market's `maxDealCollateral(provider)`: cached for
 * `ttlMs`, concurrent checks of one provider share one read, and reads of
 * different providers made together travel in one JSON-RPC batch. The keeper's
 * position events (or anything else that learns of a change) call `invalidate`.
 *
 * @param clients - Chain clients; their RPC URL is used.
 * @param deployment - The market.
 * @param init - Cache age, minimum, batching.
 * @returns The backing check.
 * @example
 * const backing = createChainBacking(clients, deployment, { minDealCollateral: 1_000_000n })
 * await backing.canBack(provider, 0n)
 */
export function createChainBacking(
  clients: ChainClients,
  deployment: Pick<Deployment, 'market'>,
  { ttlMs = 30_000, minDealCollateral = 0n, batchWaitMs = 5 }: CreateChainBackingInit = {},
): Backing {
  const client = createPublicClient({
    chain: clients.public.chain,
    transport: http(clients.rpcUrl, { batch: { wait: batchWaitMs, batchSize: 100 }, retryCount: 1, timeout: 10_000 }),
  })
  const cache = new Map<string, { value: Promise<bigint>; at: number }>()

  const available = (provider: Address): Promise<bigint> => {
    const key = provider.toLowerCase()
    const cached = cache.get(key)
    if (cached && Date.now() - cached.at < ttlMs) return cached.value
    const value = client
      .readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'maxDealCollateral', args: [provider] })
      .catch((error: unknown) => {
        if (cache.get(key)?.value === value) cache.delete(key)
        throw toChainError(error, { functionName: 'maxDealCollateral', rpcUrl: clients.rpcUrl })
      })
    cache.set(key, { value, at: Date.now() })
    if (cache.size > 100_000) cache.delete(cache.keys().next().value!)
    return value
  }

  return {
    canBack: async (provider, collateral) => {
      const need = collateral > minDealCollateral ? collateral : minDealCollateral
      const amount = await available(provider)
      return amount > 0n && amount >= need
    },
    invalidate: (provider) => void cache.delete(provider.toLowerCase()),
    available: (provider) => available(provider),
  }
}

/**
 * Backing from a fixed table, for tests, benchmarks and nodes without a chain:
 * a provider can back what the table says (nothing when absent).
 *
 * @param amounts - Deal collateral each provider can back.
 * @returns The backing check; `set` changes an amount.
 * @example
 * const backing = createStaticBacking({ [provider]: 10n ** 18n })
 */
export function createStaticBacking(amounts: Record<string, bigint> = {}): Backing & { set: (provider: Address, amount: bigint) => void } {
  const table = new Map(Object.entries(amounts).map(([provider, amount]) => [provider.toLowerCase(), amount]))
  const get = (provider: Address) => table.get(provider.toLowerCase()) ?? 0n
  return {
    canBack: async (provider, collateral) => get(provider) > 0n && get(provider) >= collateral,
    invalidate: () => {},
    available: async (provider) => get(provider),
    set: (provider, amount) => void table.set(provider.toLowerCase(), amount),
  }
}
