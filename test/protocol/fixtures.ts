import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import type { Ask, AskEntry, Bid, MarketParameters, Requirements } from '../../protocol/index.ts'
import { hashAsk } from '../../protocol/index.ts'

// anvil's first two dev keys: the provider and the client of every fixture.
export const providerKey: Hex = '0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80'
export const clientKey: Hex = '0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d'
export const providerAccount = privateKeyToAccount(providerKey)
export const clientAccount = privateKeyToAccount(clientKey)

/** anvil's first deployment address, chain 31337. */
export const market: MarketParameters = { chainId: 31337, market: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }

export const NOW = 1_700_000_000
export const H100 = 'nvidia-h100-80gb'
export const A100 = 'nvidia-a100-40gb'
export const JOB_HASH: Hex = '0x1111111111111111111111111111111111111111111111111111111111111111'

export function makeAsk(overrides: Partial<Ask> = {}): Ask {
  return {
    provider: providerAccount.address.toLowerCase() as Address,
    peerId: '12D3KooWGzh4ds3Kq1o6cXQk9nS5k8Yx3bQ3a1Pf6bXj4h2kLmNo',
    capacity: {
      cpuMillicores: 16_000,
      memoryMiB: 65_536,
      diskMiB: 500_000,
      gpus: [
        { model: H100, vramMiB: 81_559, count: 4 },
        { model: A100, vramMiB: 40_960, count: 4 },
      ],
    },
    free: {
      cpuMillicores: 16_000,
      memoryMiB: 65_536,
      diskMiB: 500_000,
      gpus: [
        { model: H100, vramMiB: 81_559, count: 4 },
        { model: A100, vramMiB: 40_960, count: 4 },
      ],
    },
    runtimes: ['wasm', 'docker'],
    prices: {
      cpu: 5_555_556n,
      memory: 833_333n,
      gpus: [
        { model: H100, price: 555_555_556n },
        { model: A100, price: 300_000_000n },
      ],
    },
    minDuration: 60,
    maxDuration: 86_400,
    collateralBps: 15_000,
    createdAt: NOW - 100,
    expiry: NOW + 1800,
    sequence: 1,
    cancelNonce: 0,
    ...overrides,
  }
}

export function makeBid(overrides: Partial<Omit<Bid, 'requirements'>> & { requirements?: Partial<Requirements> } = {}): Bid {
  const { requirements, ...rest } = overrides
  return {
    client: clientAccount.address.toLowerCase() as Address,
    requirements: { cpuMillicores: 2000, memoryMiB: 4096, diskMiB: 1024, gpus: [], runtime: 'wasm', ...requirements },
    duration: 600,
    maxPrice: 10n ** 12n,
    jobHash: JOB_HASH,
    expiry: NOW + 600,
    nonce: 7,
    ...rest,
  }
}

export function entry(ask: Ask): AskEntry {
  return { ask, hash: hashAsk(ask, market) }
}

/** A small deterministic PRNG (mulberry32) so shuffles are reproducible. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const copy = [...items]
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copy[i], copy[j]] = [copy[j]!, copy[i]!]
  }
  return copy
}

/** Asserts that `fn` throws an error with this `name`, and returns it. */
export function throwsNamed<E extends Error = Error>(fn: () => unknown, name: string): E {
  try {
    fn()
  } catch (error) {
    if (!(error instanceof Error) || error.name !== name)
      throw new Error(`expected ${name}, got ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`)
    return error as E
  }
  throw new Error(`expected ${name}, nothing thrown`)
}
