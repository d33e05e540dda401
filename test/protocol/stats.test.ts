import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { marketStats, WAD } from '../../protocol/index.ts'
import { A100, H100, makeAsk, NOW } from './fixtures.ts'

const test = suite('stats')

test('an empty book', () => {
  const stats = marketStats([])
  assert.is(stats.asks, 0)
  assert.equal(stats.usage.cpuMillicores, { capacity: 0, free: 0, utilization: 0n })
  assert.is(stats.prices.cpu, undefined)
  assert.equal(stats.prices.gpus, [])
})

test('book-wide utilization is total reserved over total advertised, per resource and GPU model', () => {
  const a = makeAsk() // everything free
  const b = makeAsk({
    free: {
      cpuMillicores: 0,
      memoryMiB: 32_768,
      diskMiB: 500_000,
      gpus: [{ model: H100, vramMiB: 81_559, count: 1 }],
    },
  })
  const stats = marketStats([a, b])
  assert.equal(stats.usage.cpuMillicores, { capacity: 32_000, free: 16_000, utilization: WAD / 2n })
  assert.equal(stats.usage.memoryMiB, { capacity: 131_072, free: 98_304, utilization: WAD / 4n })
  assert.equal(stats.usage.diskMiB.utilization, 0n)
  assert.equal(stats.usage.gpuModels, [
    { model: A100, capacity: 8, free: 4, utilization: WAD / 2n },
    { model: H100, capacity: 8, free: 5, utilization: (3n * WAD) / 8n },
  ])
  assert.equal(stats.usage.gpus, { capacity: 16, free: 9, utilization: (7n * WAD) / 16n })
})

test('price quantiles are nearest-rank over the live asks', () => {
  const asks = [5n, 1n, 4n, 2n, 3n].map((cpu, i) =>
    makeAsk({ expiry: NOW + 10 + i, prices: { ...makeAsk().prices, cpu, memory: 7n } }),
  )
  const stats = marketStats(asks)
  assert.equal(stats.prices.cpu, { count: 5, min: 1n, p25: 2n, median: 3n, p75: 4n, max: 5n })
  assert.equal(stats.prices.memory, { count: 5, min: 7n, p25: 7n, median: 7n, p75: 7n, max: 7n })
  assert.equal(
    stats.prices.gpus.map((g) => [g.model, g.count, g.min]),
    [
      [A100, 5, 300_000_000n],
      [H100, 5, 555_555_556n],
    ],
  )
  const later = marketStats(asks, { now: NOW + 12 }) // the asks expiring at +10, +11, +12 are gone
  assert.is(later.asks, 2)
  assert.equal(later.prices.cpu, { count: 2, min: 2n, p25: 2n, median: 2n, p75: 3n, max: 3n })
})

test.run()
