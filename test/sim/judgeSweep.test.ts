import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { efficiencyTied, judgeSweep, pooledShortfallPct, pooledShortfallUpperPct, type JudgedSet, type SweepRun } from '../../node/sim/judgeSweep.ts'

/** A clean run: slashed value 1,000, no shortfall, every target met. */
const run = (seed: number, change: Partial<SweepRun> = {}): SweepRun => ({
  scenario: 'crash50',
  seed,
  slashedValue: 1_000,
  providerShortfall: 0,
  providerShortfallPctOfSlashed: 0,
  badDebtPctOfSlashed: 0,
  capitalEfficiency: 0.4,
  honestSlashed: 0,
  zeroValueLiquidations: 0,
  compensationPaidPct: 100,
  ...change,
})
const seeds = Array.from({ length: 10 }, (_, i) => i + 1)
const set = (label: string, runOf: (seed: number) => SweepRun, delay = 1): JudgedSet => ({ label, runs: seeds.map(runOf), liquidationDelayP99Blocks: delay })
/** Capital efficiency that wobbles from seed to seed around `level`, the same wobble for every set (same seeds). */
const wobble = (level: number) => (seed: number) => level + 0.01 * Math.sin(seed * 1.7)

test('pooled shortfall weighs each run by the value slashed in it', () => {
  const runs = [run(1, { slashedValue: 9_000, providerShortfall: 0 }), run(2, { slashedValue: 1_000, providerShortfall: 1 })]
  assert.is(pooledShortfallPct(runs), 0.01)
  assert.is(pooledShortfallPct([]), 0)
})

test('the bootstrap upper bound is above the pooled figure when one seed carries the shortfall, and zero when none does', () => {
  const runs = seeds.map((s) => run(s, s === 3 ? { providerShortfall: 1 } : {}))
  const upper = pooledShortfallUpperPct(runs)
  assert.ok(upper > pooledShortfallPct(runs), `bound ${upper} not above ${pooledShortfallPct(runs)}`)
  assert.is(pooledShortfallUpperPct(runs), upper, 'the bootstrap is not seeded')
  assert.is(pooledShortfallUpperPct(seeds.map((s) => run(s))), 0)
})

test('a capital-efficiency gap inside the seed-to-seed noise is a tie, a steady one is not', () => {
  const best = seeds.map((s) => run(s, { capitalEfficiency: 0.41 + (s % 2 ? 0.02 : -0.02) }))
  const noisy = seeds.map((s) => run(s, { capitalEfficiency: 0.4 + (s % 3 ? 0.02 : -0.03) }))
  const steady = seeds.map((s) => run(s, { capitalEfficiency: 0.39 + (s % 2 ? 0.02 : -0.02) }))
  assert.ok(efficiencyTied(noisy, best))
  assert.not.ok(efficiencyTied(steady, best))
})

test('the most capital-efficient eligible set wins when it stands out of the noise', () => {
  const judged = judgeSweep([
    set('default', (s) => run(s, { capitalEfficiency: wobble(0.4)(s) })),
    set('higher CF', (s) => run(s, { capitalEfficiency: wobble(0.42)(s) })),
  ])
  assert.is(judged.recommended, 1)
  assert.equal(judged.tied, [1])
})

test('within the noise on both figures, the current market (the first set) is kept', () => {
  const judged = judgeSweep([
    set('default', (s) => run(s, { capitalEfficiency: wobble(0.4)(s) + (s % 2 ? 0.01 : -0.01) })),
    set('no volatility rule', (s) => run(s, { capitalEfficiency: wobble(0.4)(s) + 0.001, ...(s === 4 ? { providerShortfall: 0.05, providerShortfallPctOfSlashed: 0.005 } : {}) })),
  ])
  assert.equal(judged.tied, [0, 1])
  assert.is(judged.recommended, 0)
  assert.ok(judged.verdicts[1]!.pooledShortfallPct > 0)
})

test('when the current market (the first set) is not among the tied, the tie goes to the lowest pooled shortfall', () => {
  const judged = judgeSweep([
    set('current, not eligible', (s) => run(s, { capitalEfficiency: wobble(0.4)(s), providerShortfall: 1 })),
    set('tied, some shortfall', (s) => run(s, { capitalEfficiency: wobble(0.4)(s) + 0.001, ...(s === 4 ? { providerShortfall: 0.05, providerShortfallPctOfSlashed: 0.005 } : {}) })),
    set('tied, none', (s) => run(s, { capitalEfficiency: wobble(0.4)(s) + (s % 2 ? 0.01 : -0.01) })),
  ])
  assert.equal(judged.tied, [1, 2])
  assert.is(judged.recommended, 2)
})

test('a set that misses a per-run target or the pooled bound is not eligible, however efficient', () => {
  const judged = judgeSweep([
    set('safe', (s) => run(s)),
    set('slashes an honest provider', (s) => run(s, { capitalEfficiency: 0.6, honestSlashed: s === 9 ? 1 : 0 })),
    set('slow keepers', (s) => run(s, { capitalEfficiency: 0.6 }), 2),
    set('thin', (s) => run(s, { capitalEfficiency: 0.6, providerShortfall: 0.5, providerShortfallPctOfSlashed: 0.05 })),
  ])
  assert.equal(judged.verdicts.map((v) => v.eligible), [true, false, false, false])
  assert.is(judged.verdicts[3]!.runsOverTarget, 10)
  assert.is(judged.recommended, 0)
})

test('when no set is eligible, the rule says so and picks the lowest bound among sets meeting the per-run targets', () => {
  const judged = judgeSweep([
    set('thin', (s) => run(s, { providerShortfall: 0.5 })),
    set('thinner', (s) => run(s, { providerShortfall: 0.9 })),
    set('bad debt', (s) => run(s, { badDebtPctOfSlashed: 0.02 })),
  ])
  assert.is(judged.recommended, 0)
  assert.match(judged.rule, /^no set is eligible/)
  assert.match(judged.rule, /among the sets that meet the per-run targets \(2 of 3\)/)
  const noneMeets = judgeSweep([set('bad debt', (s) => run(s, { badDebtPctOfSlashed: 0.02 })), set('more bad debt', (s) => run(s, { badDebtPctOfSlashed: 0.05, providerShortfall: 1 }))])
  assert.is(noneMeets.recommended, 0)
  assert.match(noneMeets.rule, /none meets the per-run targets either/)
})

test.run()
