// Realistic signed orders for the order book benchmarks: CPU-only and GPU asks
// from many providers, bids from many clients, signed with libsecp256k1 (the
// same RFC 6979 signatures viem makes, far faster to produce in bulk).
import { createHash } from 'node:crypto'
import { createRequire } from 'node:module'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { encodeMessage } from '../protocol/codec/encodeMessage.ts'
import type { Ask, SignedAsk } from '../protocol/types/ask.ts'
import type { Bid, SignedBid } from '../protocol/types/bid.ts'
import type { Gpu, MarketParameters, Runtime } from '../protocol/types/resources.ts'
import { askDigest, bidDigest, bytesToHex } from '../node/orderbook/typedDataHasher.ts'

const native = createRequire(import.meta.url)('secp256k1/bindings') as {
  ecdsaSign: (digest: Uint8Array, privateKey: Uint8Array) => { signature: Uint8Array; recid: number }
}

export const benchMarket: MarketParameters = { chainId: 31337, market: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }

const gpuModels = [
  { model: 'nvidia-h100-80gb', vramMiB: 81_559, price: 555_555_556n },
  { model: 'nvidia-a100-40gb', vramMiB: 40_960, price: 300_000_000n },
  { model: 'nvidia-l4', vramMiB: 23_034, price: 90_000_000n },
  { model: 'nvidia-geforce-rtx-4090', vramMiB: 24_564, price: 120_000_000n },
  { model: 'nvidia-a10g', vramMiB: 23_028, price: 80_000_000n },
  { model: 'amd-instinct-mi300x', vramMiB: 196_608, price: 600_000_000n },
]

/** A deterministic PRNG (mulberry32), so every run signs the same book. */
export function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type Maker = { key: Hex; address: Address }

/** `count` deterministic keys, offset so that different roles never share one. */
export function makers(count: number, offset: number): Maker[] {
  return Array.from({ length: count }, (_, index) => {
    const key = `0x${createHash('sha256').update(`allot-bench-${offset + index}`).digest('hex')}` as Hex
    return { key, address: privateKeyToAccount(key).address.toLowerCase() as Address }
  })
}

function sign(digest: Uint8Array, key: Hex): Hex {
  const { signature, recid } = native.ecdsaSign(digest, Buffer.from(key.slice(2), 'hex'))
  return `0x${Buffer.from(signature).toString('hex')}${(27 + recid).toString(16)}`
}

/** A random ask: 60% CPU-only, 40% with one or two GPU models. */
export function randomAsk(random: () => number, provider: Address, sequence: number, now: number): Ask {
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1))
  const cpu = int(4, 128) * 1000
  const memory = int(8, 1024) * 1024
  const disk = int(100, 4000) * 1024
  const gpuCount = random() < 0.4 ? int(1, 2) : 0
  const models = [...gpuModels].sort(() => random() - 0.5).slice(0, gpuCount)
  const gpus: Gpu[] = models.map(({ model, vramMiB }) => ({ model, vramMiB, count: int(1, 8) }))
  const runtimes: Runtime[] = gpus.length ? ['docker', 'process'] : random() < 0.5 ? ['wasm'] : ['wasm', 'process']
  const share = (value: number) => Math.floor(value * (0.3 + random() * 0.7))
  return {
    provider,
    peerId: '12D3KooWGzh4ds3Kq1o6cXQk9nS5k8Yx3bQ3a1Pf6bXj4h2kLmNo',
    capacity: { cpuMillicores: cpu, memoryMiB: memory, diskMiB: disk, gpus },
    free: { cpuMillicores: share(cpu), memoryMiB: share(memory), diskMiB: share(disk), gpus: gpus.map((gpu) => ({ ...gpu, count: int(0, gpu.count) })) },
    runtimes,
    prices: {
      cpu: BigInt(int(2_000_000, 9_000_000)),
      memory: BigInt(int(500_000, 1_200_000)),
      gpus: models.map(({ model, price }) => ({ model, price: (price * BigInt(int(80, 120))) / 100n })),
    },
    minDuration: int(1, 120),
    maxDuration: int(3_600, 604_800),
    collateralBps: int(10_000, 30_000),
    createdAt: now - int(0, 30),
    expiry: now + int(600, 3_000),
    sequence,
    cancelNonce: 0,
  }
}

/** A random bid: mostly CPU jobs, a fifth wanting a GPU. */
export function randomBid(random: () => number, client: Address, nonce: number, now: number): Bid {
  const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1))
  const gpu = random() < 0.2 ? gpuModels[int(0, gpuModels.length - 1)]! : undefined
  return {
    client,
    requirements: {
      cpuMillicores: int(1, 32) * 500,
      memoryMiB: int(1, 64) * 512,
      diskMiB: int(1, 100) * 1024,
      gpus: gpu ? [{ model: gpu.model, vramMiB: gpu.vramMiB, count: int(1, 2) }] : [],
      runtime: gpu ? 'docker' : 'wasm',
    },
    duration: int(60, 7_200),
    maxPrice: BigInt(int(1, 1_000)) * 10n ** 9n,
    jobHash: `0x${createHash('sha256').update(`job-${client}-${nonce}`).digest('hex')}`,
    expiry: now + int(300, 3_000),
    nonce,
  }
}

export function signAskFast(ask: Ask, key: Hex, market: MarketParameters = benchMarket): SignedAsk {
  return { chainId: market.chainId, market: market.market, ask, signature: sign(askDigest(ask, market), key) }
}

export function signBidFast(bid: Bid, key: Hex, market: MarketParameters = benchMarket): SignedBid {
  return { chainId: market.chainId, market: market.market, bid, signature: sign(bidDigest(bid, market), key) }
}

/** One order ready to publish: its wire bytes, its EIP-712 hash and the hash of its bytes. */
export type BenchOrder = { type: 'ask' | 'bid'; bytes: Uint8Array; hash: Hex; sha: string }

/**
 * `count` orders, half asks (providers publishing growing sequences) and half bids.
 *
 * @param count - How many.
 * @param options - Seed, how many providers and clients, where their keys start, and the time they are signed at.
 */
export function benchOrders(count: number, { seed = 1, providers = 40, clients = 20, makerOffset = 0, now = Math.floor(Date.now() / 1000) } = {}) {
  const random = prng(seed)
  const providerKeys = makers(providers, makerOffset)
  const clientKeys = makers(clients, makerOffset + 10_000)
  const sequences = new Map<string, number>()
  const orders: BenchOrder[] = []
  for (let index = 0; index < count; index++) {
    let bytes: Uint8Array
    let hash: Hex
    let type: BenchOrder['type']
    if (index % 2 === 0) {
      const maker = providerKeys[(index / 2) % providers]!
      const sequence = (sequences.get(maker.address) ?? 0) + 1
      sequences.set(maker.address, sequence)
      const ask = randomAsk(random, maker.address, sequence, now)
      bytes = encodeMessage({ type: 'ask', body: signAskFast(ask, maker.key) })
      hash = bytesToHex(askDigest(ask, benchMarket))
      type = 'ask'
    } else {
      const maker = clientKeys[((index - 1) / 2) % clients]!
      const bid = randomBid(random, maker.address, index, now)
      bytes = encodeMessage({ type: 'bid', body: signBidFast(bid, maker.key) })
      hash = bytesToHex(bidDigest(bid, benchMarket))
      type = 'bid'
    }
    orders.push({ type, bytes, hash, sha: createHash('sha256').update(bytes).digest('hex') })
  }
  return { orders, providers: providerKeys, clients: clientKeys }
}

/** The `q` quantile (0–1) of unsorted numbers. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!
}
