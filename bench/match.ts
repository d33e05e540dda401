// npm run bench:match — matching one bid against a large book. A book of
// 100,000 asks (85% CPU-only over several runtimes, 15% with one or two GPU
// models) is indexed once with createMatchIndex, then many varied bids are
// matched one at a time: latency percentiles in microseconds and matches per
// second. The plain linear matchBid runs on the same book for a few bids, for
// comparison and as a check that both give the same match.
//
// Options: --asks N (default 100000), --bids N (default 2000), --linear N (default 3).
// The last line is JSON.
import { loadavg } from 'node:os'
import { parseArgs } from 'node:util'
import type { Address, Hex } from 'viem'
import { createMatchIndex } from '../protocol/matching/matchIndex.ts'
import { matchBid, type MatchBidReturnType } from '../protocol/matching/matchBid.ts'
import type { Ask, AskEntry } from '../protocol/types/ask.ts'
import type { Bid } from '../protocol/types/bid.ts'
import type { Gpu, Runtime } from '../protocol/types/resources.ts'

const { values } = parseArgs({
  options: {
    asks: { type: 'string', default: '100000' },
    bids: { type: 'string', default: '2000' },
    linear: { type: 'string', default: '3' },
  },
})
const bookSize = Number(values.asks)
const bidCount = Number(values.bids)
const linearCount = Number(values.linear)
const now = 1_700_000_000

const gpuModels = [
  { model: 'nvidia-h100-80gb', vramMiB: 81_559, price: 555_555_556 },
  { model: 'nvidia-a100-40gb', vramMiB: 40_960, price: 300_000_000 },
  { model: 'nvidia-l4', vramMiB: 23_034, price: 90_000_000 },
  { model: 'nvidia-geforce-rtx-4090', vramMiB: 24_564, price: 120_000_000 },
]
const cpuRuntimes: Runtime[][] = [['wasm'], ['wasm', 'process'], ['process'], ['wasm', 'process', 'docker'], ['docker']]

/** mulberry32, so every run builds the same book and bids. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
const random = prng(11)
const int = (low: number, high: number) => low + Math.floor(random() * (high - low + 1))
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const hex = (bytes: number) => `0x${Array.from({ length: bytes }, () => int(0, 255).toString(16).padStart(2, '0')).join('')}`

function randomAsk(): AskEntry {
  const cpu = int(4, 128) * 1000
  const memory = int(8, 1024) * 1024
  const disk = int(100, 4000) * 1024
  const withGpus = random() < 0.15
  const models = withGpus ? [...gpuModels].sort(() => random() - 0.5).slice(0, int(1, 2)) : []
  const gpus: Gpu[] = models.map(({ model, vramMiB }) => ({ model, vramMiB, count: int(1, 8) }))
  const share = (value: number) => Math.floor(value * (0.2 + random() * 0.8))
  const ask: Ask = {
    provider: hex(20) as Address,
    peerId: '12D3KooWGzh4ds3Kq1o6cXQk9nS5k8Yx3bQ3a1Pf6bXj4h2kLmNo',
    capacity: { cpuMillicores: cpu, memoryMiB: memory, diskMiB: disk, gpus },
    free: {
      cpuMillicores: share(cpu),
      memoryMiB: share(memory),
      diskMiB: share(disk),
      gpus: gpus.map((gpu) => ({ ...gpu, count: int(0, gpu.count) })),
    },
    runtimes: withGpus ? ['docker', 'process'] : pick(cpuRuntimes),
    prices: {
      // Prices on a grid of 1,000 steps, so that some asks tie.
      cpu: BigInt(int(2_000, 9_000) * 1000),
      memory: BigInt(int(500, 1_200) * 1000),
      gpus: models.map(({ model, price }) => ({ model, price: BigInt(Math.round((price * int(80, 120)) / 100)) })),
    },
    minDuration: int(1, 120),
    maxDuration: int(3_600, 604_800),
    collateralBps: int(10_000, 30_000),
    createdAt: now - int(0, 300),
    expiry: now + int(-60, 3_000),
    sequence: 1,
    cancelNonce: 0,
  }
  return { ask, hash: hex(32) as Hex }
}

/** A bid whose maximum is around what the market charges, from a tenth to three times it. */
function randomBid(nonce: number): Bid {
  const gpu = random() < 0.2 ? pick(gpuModels) : undefined
  const requirements = {
    cpuMillicores: int(1, 32) * 500,
    memoryMiB: int(1, 64) * 512,
    diskMiB: int(1, 100) * 1024,
    gpus: gpu ? [{ model: random() < 0.7 ? gpu.model : '', vramMiB: gpu.vramMiB, count: int(1, 2) }] : [],
    runtime: gpu ? ('docker' as const) : pick(['wasm', 'wasm', 'process', 'docker'] as const),
  }
  const duration = int(60, 7_200)
  const perSecond =
    (requirements.cpuMillicores / 1000) * 5.5 +
    (requirements.memoryMiB / 1024) * 0.85 +
    requirements.gpus.reduce((total, g) => total + g.count * (gpu?.price ?? 0) * 1e-6, 0)
  const maxPrice = BigInt(Math.ceil(perSecond * duration * (0.1 + random() * 2.9)))
  return { client: hex(20) as Address, requirements, duration, maxPrice, jobHash: hex(32) as Hex, expiry: now + 600, nonce }
}

/** Nearest rank, in microseconds to one decimal; undefined for no samples. */
function percentile(milliseconds: number[], q: number): number | undefined {
  if (milliseconds.length === 0) return undefined
  const sorted = [...milliseconds].sort((a, b) => a - b)
  return Math.round(sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]! * 10_000) / 10
}
const summary = (result: MatchBidReturnType) =>
  JSON.stringify([result.candidates.slice(0, 16), result.rejected, result.cheapestPrice], (_key, value) =>
    typeof value === 'bigint' ? value.toString() : value,
  )

const book = Array.from({ length: bookSize }, randomAsk)
const bids = Array.from({ length: bidCount }, (_, nonce) => randomBid(nonce))

const buildStarted = performance.now()
const index = createMatchIndex(book)
const buildMs = performance.now() - buildStarted

for (const bid of bids.slice(0, 200)) index.match(bid, { now })
const latencies: number[] = []
const cpuLatencies: number[] = []
const gpuLatencies: number[] = []
let matched = 0
const started = performance.now()
for (const bid of bids) {
  const before = performance.now()
  const result = index.match(bid, { now })
  const elapsed = performance.now() - before
  latencies.push(elapsed)
  ;(bid.requirements.gpus.length > 0 ? gpuLatencies : cpuLatencies).push(elapsed)
  if (result.match) matched++
}
const totalMs = performance.now() - started

// The slow paths, on a few bids: the linear scan, and the index asked to call a canBack.
const linear: number[] = []
const withCanBack: number[] = []
for (const bid of bids.slice(0, linearCount)) {
  let before = performance.now()
  const expected = matchBid(bid, book, { now, canBack: () => true })
  linear.push(performance.now() - before)
  before = performance.now()
  index.match(bid, { now, canBack: () => true })
  withCanBack.push(performance.now() - before)
  if (summary(index.match(bid, { now })) !== summary(expected))
    throw new Error(`this should never happen: the index and matchBid disagree on bid ${bid.nonce}`)
}

// Book churn: a provider's new ask replaces its old one.
const churn = Array.from({ length: 2000 }, randomAsk)
const churnStarted = performance.now()
for (const [position, entry] of churn.entries()) index.replace(book[position]!.hash, entry)
const replaceUs = ((performance.now() - churnStarted) * 1000) / churn.length

const figures = {
  bookSize,
  gpuAsks: book.filter((entry) => entry.ask.free.gpus.length > 0).length,
  bids: bidCount,
  matchedBids: matched,
  buildMs: Math.round(buildMs),
  matchP50Us: percentile(latencies, 0.5),
  matchP99Us: percentile(latencies, 0.99),
  matchMaxUs: percentile(latencies, 1),
  matchesPerSec: Math.round((bidCount * 1000) / totalMs),
  cpuBidP50Us: percentile(cpuLatencies, 0.5),
  cpuBidP99Us: percentile(cpuLatencies, 0.99),
  gpuBidP50Us: percentile(gpuLatencies, 0.5),
  gpuBidP99Us: percentile(gpuLatencies, 0.99),
  linearP50Us: percentile(linear, 0.5),
  canBackP50Us: percentile(withCanBack, 0.5),
  replaceUs: Math.round(replaceUs * 10) / 10,
  loadAverage: Math.round(loadavg()[0]! * 100) / 100,
}

const show = (value: number | undefined) => (value === undefined ? '-' : String(value))
const rows: Array<[string, string]> = [
  ['book size (asks; with free GPUs)', `${figures.bookSize} (${figures.gpuAsks})`],
  ['index build, ms', String(figures.buildMs)],
  [`${figures.bids} bids, one at a time (${figures.matchedBids} found a match)`, ''],
  ['  p50 / p99 / max latency, µs', `${show(figures.matchP50Us)} / ${show(figures.matchP99Us)} / ${show(figures.matchMaxUs)}`],
  [`  CPU-only bids (${cpuLatencies.length}): p50 / p99, µs`, `${show(figures.cpuBidP50Us)} / ${show(figures.cpuBidP99Us)}`],
  [`  GPU bids (${gpuLatencies.length}): p50 / p99, µs`, `${show(figures.gpuBidP50Us)} / ${show(figures.gpuBidP99Us)}`],
  ['  matches per second', String(figures.matchesPerSec)],
  [`linear matchBid, p50 of ${linear.length} bids, µs`, show(figures.linearP50Us)],
  [`index given a canBack callback, p50 of ${withCanBack.length} bids, µs`, show(figures.canBackP50Us)],
  ['replace one ask (new sequence of a provider), µs', String(figures.replaceUs)],
  ['load average (others share this machine)', String(figures.loadAverage)],
]
const width = Math.max(...rows.map(([label]) => label.length))
console.log('Matching one bid against a book, one thread')
for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`)
console.log(JSON.stringify(figures))
