import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  askUtilization,
  dealCollateral,
  DEFAULT_PRICING_CURVE,
  type PricingCurve,
  pricingCurvePoints,
  quote,
  utilizationMultiplier,
  WAD,
} from '../../protocol/index.ts'
import { A100, H100, makeAsk, makeBid, prng, throwsNamed } from './fixtures.ts'

const test = suite('pricing')
const pct = (n: number) => (WAD * BigInt(Math.round(n * 1000))) / 1000n
const m = (u: bigint, curve?: PricingCurve) => utilizationMultiplier(u, curve)

test('defaults: kink 0.8, slope1 0.5, slope2 5', () => {
  assert.equal(DEFAULT_PRICING_CURVE, { kink: pct(0.8), slope1: pct(0.5), slope2: 5n * WAD })
})

test('multiplier at known points of the default curve', () => {
  assert.is(m(0n), WAD)
  assert.is(m(pct(0.5)), pct(1.25))
  assert.is(m(pct(0.8)), pct(1.4))
  assert.is(m(pct(0.9)), pct(1.9))
  assert.is(m(WAD), pct(2.4))
})

test('continuous at the kink: both pieces give the same value there, and a step of one wei moves it by at most a slope', () => {
  const { kink, slope1, slope2 } = DEFAULT_PRICING_CURVE
  const below = WAD + (slope1 * kink) / WAD
  const above = WAD + (slope1 * kink) / WAD + (slope2 * (kink - kink)) / WAD
  assert.is(below, above)
  assert.is(m(kink), below)
  assert.ok(m(kink) - m(kink - 1n) <= 1n)
  assert.ok(m(kink + 1n) - m(kink) <= 6n)
  for (const curve of [
    { kink: pct(0.3), slope1: pct(2), slope2: pct(0.1) },
    { kink: pct(0.95), slope1: 0n, slope2: 100n * WAD },
  ]) {
    assert.ok(m(curve.kink + 1n, curve) - m(curve.kink - 1n, curve) <= 200n)
  }
})

test('monotone non-decreasing over a fine grid and random points; strictly increasing with positive slopes', () => {
  let previous = -1n
  for (let i = 0; i <= 1000; i++) {
    const value = m((WAD * BigInt(i)) / 1000n)
    assert.ok(value > previous, `step ${i}`)
    previous = value
  }
  const random = prng(7)
  const points = Array.from({ length: 500 }, () => BigInt(Math.floor(random() * 1e9)) * 10n ** 9n).sort((a, b) =>
    a < b ? -1 : 1,
  )
  for (let i = 1; i < points.length; i++) assert.ok(m(points[i]!) >= m(points[i - 1]!))
})

test('the slopes are s1 below and s2 above the kink', () => {
  const { kink } = DEFAULT_PRICING_CURVE
  assert.is(((m(kink) - m(0n)) * WAD) / kink, pct(0.5))
  assert.is(((m(WAD) - m(kink)) * WAD) / (WAD - kink), 5n * WAD)
})

test('edge curves: kink 0, kink 1, flat', () => {
  assert.is(m(pct(0.5), { kink: 0n, slope1: WAD, slope2: 2n * WAD }), 2n * WAD)
  assert.is(m(WAD, { kink: WAD, slope1: WAD, slope2: 50n * WAD }), 2n * WAD)
  assert.is(m(WAD, { kink: pct(0.5), slope1: 0n, slope2: 0n }), WAD)
})

test('the multiplier rounds up', () => {
  assert.is(m(1n), WAD + 1n) // 1 + 0.5e-18 → rounds up to 1 + 1e-18
})

test('out-of-range utilization and curves are refused by name', () => {
  throwsNamed(() => m(-1n), 'InvalidUtilizationError')
  throwsNamed(() => m(WAD + 1n), 'InvalidUtilizationError')
  throwsNamed(() => m(0n, { kink: WAD + 1n, slope1: 0n, slope2: 0n }), 'InvalidPricingCurveError')
  throwsNamed(() => m(0n, { kink: -1n, slope1: 0n, slope2: 0n }), 'InvalidPricingCurveError')
  throwsNamed(() => m(0n, { kink: 0n, slope1: -1n, slope2: 0n }), 'InvalidPricingCurveError')
  throwsNamed(() => m(0n, { kink: 0n, slope1: 0n, slope2: -1n }), 'InvalidPricingCurveError')
})

test('quote: duration × (cores × cpu + GiB × memory + GPUs × gpu) × multiplier / 1e6, rounded up', () => {
  const ask = makeAsk()
  const bid = makeBid({
    duration: 3600,
    requirements: { cpuMillicores: 1000, memoryMiB: 1024, gpus: [{ model: H100, vramMiB: 80_000, count: 1 }] },
  })
  // (5_555_556 + 833_333 + 555_555_556) × 3600 / 1e6 = 2_023_000.002
  assert.is(quote(ask, bid, 0n), 2_023_001n)
  // × 2.4 at full utilization = 4_855_200.0048
  assert.is(quote(ask, bid, WAD), 4_855_201n)
})

test('quote: fractions of cores and GiB are exact, one rounding at the end', () => {
  const bid = makeBid({ duration: 1, requirements: { cpuMillicores: 500, memoryMiB: 512 } })
  // (2_777_778 + 416_666.5) / 1e6 = 3.1944445 → 4
  assert.is(quote(makeAsk(), bid, 0n), 4n)
  const ask = makeAsk({ prices: { cpu: 1_000_000n, memory: 0n, gpus: makeAsk().prices.gpus } })
  assert.is(quote(ask, makeBid({ duration: 1000, requirements: { cpuMillicores: 1, memoryMiB: 0 } }), 0n), 1n)
  assert.is(quote(ask, makeBid({ duration: 999, requirements: { cpuMillicores: 1, memoryMiB: 0 } }), 0n), 1n)
  assert.is(quote(ask, makeBid({ duration: 1001, requirements: { cpuMillicores: 1, memoryMiB: 0 } }), 0n), 2n)
  assert.is(quote(ask, makeBid({ duration: 1, requirements: { cpuMillicores: 0, memoryMiB: 0 } }), WAD), 0n)
})

test('quote defaults to the ask’s own utilization and the default curve', () => {
  const ask = makeAsk({ free: { ...makeAsk().free, cpuMillicores: 8000 } })
  const bid = makeBid()
  assert.is(askUtilization(ask), pct(0.5))
  assert.is(quote(ask, bid), quote(ask, bid, pct(0.5), DEFAULT_PRICING_CURVE))
  assert.ok(quote(ask, bid) > quote(ask, bid, 0n))
})

test('quote grows with utilization and duration, linearly in duration up to rounding', () => {
  const ask = makeAsk()
  const bid = makeBid({ requirements: { gpus: [{ model: A100, vramMiB: 0, count: 2 }] } })
  let previous = 0n
  for (let i = 0; i <= 20; i++) {
    const price = quote(ask, bid, (WAD * BigInt(i)) / 20n)
    assert.ok(price >= previous)
    previous = price
  }
  const one = quote(ask, { ...bid, duration: 777 }, pct(0.3))
  const two = quote(ask, { ...bid, duration: 1554 }, pct(0.3))
  assert.ok(two <= 2n * one && two >= 2n * one - 1n)
})

test('quote prices GPUs by the model assigned: "any" takes the cheapest that fits', () => {
  const ask = makeAsk()
  const base = makeBid({ duration: 1000, requirements: { cpuMillicores: 0, memoryMiB: 0 } })
  const any = { ...base, requirements: { ...base.requirements, gpus: [{ model: '', vramMiB: 0, count: 1 }] } }
  const big = { ...base, requirements: { ...base.requirements, gpus: [{ model: '', vramMiB: 50_000, count: 1 }] } }
  assert.is(quote(ask, any, 0n), 300_000n) // A100: 300_000_000 × 1000 / 1e6
  assert.is(quote(ask, big, 0n), 555_556n) // only the H100 has 50 GB: 555_555.556 rounded up
})

test('quote refuses asks without the GPUs and prices above uint128', () => {
  const bid = makeBid({ requirements: { gpus: [{ model: 'amd-mi300x', vramMiB: 0, count: 1 }] } })
  throwsNamed(() => quote(makeAsk(), bid, 0n), 'GpuUnavailableError')
  const pricey = makeAsk({ prices: { cpu: 2n ** 128n - 1n, memory: 0n, gpus: makeAsk().prices.gpus } })
  throwsNamed(() => quote(pricey, makeBid({ duration: 2 ** 32 - 1 }), 0n), 'PriceOverflowError')
})

test('askUtilization is the busiest priced resource, rounded up', () => {
  const ask = makeAsk()
  assert.is(askUtilization(ask), 0n)
  const free = ask.free
  assert.is(askUtilization(makeAsk({ free: { ...free, memoryMiB: 16_384 } })), pct(0.75))
  assert.is(askUtilization(makeAsk({ free: { ...free, diskMiB: 0 } })), 0n) // disk is not priced
  assert.is(askUtilization(makeAsk({ free: { ...free, gpus: [{ model: H100, vramMiB: 81_559, count: 4 }] } })), WAD)
  const third = makeAsk({
    capacity: { ...ask.capacity, cpuMillicores: 3 },
    free: { ...free, cpuMillicores: 2 },
  })
  assert.is(askUtilization(third), WAD / 3n + 1n)
  const empty = makeAsk({
    capacity: { cpuMillicores: 0, memoryMiB: 0, diskMiB: 0, gpus: [] },
    free: { cpuMillicores: 0, memoryMiB: 0, diskMiB: 0, gpus: [] },
    prices: { cpu: 1n, memory: 1n, gpus: [] },
  })
  assert.is(askUtilization(empty), 0n)
})

test('collateral is price × bps / 10 000, rounded up', () => {
  assert.is(dealCollateral(1_000_000n, 15_000), 1_500_000n)
  assert.is(dealCollateral(1n, 1), 1n)
  assert.is(dealCollateral(0n, 15_000), 0n)
  assert.is(dealCollateral(3n, 5000), 2n)
  assert.is(dealCollateral(7n, 0), 0n)
})

test('curve points for display include the kink and run from 1× to 2.4×', () => {
  const points = pricingCurvePoints()
  assert.is(points.length, 11) // the default kink 0.8 is one of the tenths
  assert.equal(points[0], { utilization: 0n, multiplier: WAD })
  assert.equal(points[8], { utilization: pct(0.8), multiplier: pct(1.4) })
  assert.equal(points[10], { utilization: WAD, multiplier: pct(2.4) })
  const custom = pricingCurvePoints({ kink: pct(0.85), slope1: WAD, slope2: WAD }, 4)
  assert.equal(
    custom.map((p) => p.utilization),
    [0n, pct(0.25), pct(0.5), pct(0.75), pct(0.85), WAD],
  )
})

test.run()
