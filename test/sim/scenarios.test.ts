import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { recommendedParameters } from '../../node/sim/recommendedParameters.ts'
import { runScenario, type SeedResult } from '../../node/sim/runScenario.ts'
import { scenarios } from '../../node/sim/scenarios.ts'

// One small seeded run of each kind of scenario, on anvil with the real market and keepers, the stress
// brought forward to the first hour, 12 hours of trading and blocks every 30 minutes so that the whole file stays short.
// The market's accounting identity is checked after every block (a break throws AccountingBrokenError).
const kinds = ['baseline', 'crash50', 'flash10', 'volatile', 'gas100', 'keeperDropout', 'staleFeed', 'sybil', 'demandSpike'] as const
const results = new Map<string, SeedResult>()

test.before(async () => {
  const queue = [...kinds]
  const worker = async () => {
    for (let name = queue.shift(); name; name = queue.shift()) {
      results.set(name, await runScenario({ scenario: scenarios[name]!, seed: 7, parameters: recommendedParameters, days: 0.5, stressAt: 3_600, calmBlock: 1_800, busyBlock: 1_800, drain: 4 * 3_600, checkEvery: 1 }))
    }
  }
  await Promise.all([worker(), worker(), worker()])
})

test('baseline: deals flow, no bad debt, every promised compensation paid, accounts balance after every block', () => {
  const r = results.get('baseline')!
  assert.ok(r.dealsOpened >= 10, `only ${r.dealsOpened} deals opened`)
  assert.ok(r.dealsSettled >= 1, `only ${r.dealsSettled} deals settled`)
  assert.is(r.badDebt, 0)
  assert.is(r.providerShortfall, 0)
  assert.is(r.compensationPaidPct, 100)
  assert.ok(r.accountingChecks >= r.blocks / 2, `accounting checked ${r.accountingChecks} times over ${r.blocks} blocks`)
})

for (const name of kinds) {
  test(`${name}: no honest provider slashed, no zero-value liquidation, accounts balance after every block`, () => {
    const r = results.get(name)!
    assert.is(r.honestSlashed, 0, `honest providers slashed: ${r.honestProvidersSlashed.join(', ')}`)
    assert.is(r.zeroValueLiquidations, 0)
    assert.ok(r.accountingChecks > 0)
  })
}

test('crash: the falling price makes positions liquidatable and keepers cover them within a block while live', () => {
  const r = results.get('crash50')!
  assert.ok(r.slashedValue > 0, 'nothing was slashed in a 50 % crash')
  assert.ok(r.liquidationDelaysLive.length > 0, 'no liquidation while a keeper was live')
  assert.ok(Math.max(...r.liquidationDelaysLive) <= 1, `delays while live: ${r.liquidationDelaysLive.join(',')}`)
})

test('keeper dropout: liquidations wait for the keepers to return (or for clients to act), then come within a block', () => {
  const r = results.get('keeperDropout')!
  const crash = results.get('crash50')!
  assert.ok(Math.max(0, ...r.liquidationDelays) >= Math.max(0, ...crash.liquidationDelays), 'a dropout did not delay anything')
  assert.ok(r.dropout, 'no dropout figures')
  assert.ok(r.dropout.endBlock > 0)
  // What falls due once the keepers are back is liquidated in the next block; what fell due in the dark waited.
  assert.ok(r.dropout.delaysAfter.every((d) => d <= 1), `delays after the dropout: ${r.dropout.delaysAfter.join(',')}`)
  for (const d of r.dropout.delaysDuring) assert.ok(d >= 1)
  assert.is(r.dropout.points.length, r.liquidationDelays.length)
})

test('demand spike: utilization rises and deals are priced past the 0.8 kink', () => {
  const spike = results.get('demandSpike')!
  const calm = results.get('baseline')!
  assert.ok(spike.utilizationAboveKinkShare > 0, 'no deal was priced past the kink')
  assert.ok(spike.utilizationMean > calm.utilizationMean)
})

test.run()
