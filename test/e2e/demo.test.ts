import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { runDemo } from '../../node/demo/runDemo.ts'

// `npm start` as a test: separate provider and keeper processes over TCP, a real
// chain, real sandboxes; the report is checked, not the timing.
test('the demo runs the whole market and cleans up after itself', async () => {
  const steps: string[] = []
  const report = await runDemo({ onEvent: (event) => steps.push(`${event.step}: ${event.text}`) })
  const outcomes = report.deals.map((deal) => deal.outcome)
  // Three WASI jobs, a native one and a Docker one settle; the stalled job is liquidated.
  assert.is(outcomes.filter((outcome) => outcome === 'settled').length, 5, steps.join('\n'))
  assert.ok(report.deals.some((deal) => deal.job.startsWith('wordcount (native') && deal.outcome === 'settled'))
  assert.ok(report.deals.some((deal) => deal.job.startsWith('wordcount (Docker') && deal.outcome === 'settled'))
  assert.ok(outcomes.some((outcome) => outcome.startsWith('liquidated')))
  assert.equal(report.liquidations.map((l) => l.kind).sort(), ['deal', 'position'])
  const client = report.parties.find((party) => party.name === 'client')!
  const paid = report.deals.filter((deal) => deal.outcome === 'settled').reduce((sum, deal) => sum + deal.price, 0n)
  const shortfall = report.shortfalls.reduce((sum, s) => sum + s.amount, 0n)
  const stalled = report.deals.find((deal) => deal.outcome.startsWith('liquidated'))!
  // The client paid for the settled jobs only, and got the stalled deal's whole
  // collateral amount back on top: coverage first, the insurance fund for the rest.
  const collateral = stalled.price * 2n
  assert.is(shortfall, 0n)
  assert.is(client.payment[0] - client.payment[1], paid - collateral)
  assert.ok(report.market.insuranceFund < 10_000_000n, 'the insurance fund paid part of the compensation')
})

test.run()
