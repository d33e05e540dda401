// Real time on 1 s blocks: the deadline target and a race between two keepers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnits } from 'viem'
import { allotMarketAbi } from '../../../contracts/abi/index.ts'
import { getDeal } from '../../../node/chain/actions/readMarket.ts'
import { claim } from '../../../node/chain/actions/claim.ts'
import type { ChainClients } from '../../../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { chainTime, increaseTime } from '../../../node/chain/devTime.ts'
import type { Keeper } from '../../../node/keeper/index.ts'
import { approveBoth, balanceOf, nextEvent, prepareProvider, openTestDeal, setBlockTime, startKeeper, waitFor, withTimeout } from './helpers.ts'

let market: DevMarket
let owner: ChainClients, provider: ChainClients, client: ChainClients, keeperA: ChainClients, keeperB: ChainClients

test.before(async () => {
  // Deployed and funded with a block per transaction (fast), then switched to a block a second.
  market = await startDevMarket()
  ;[owner, provider, client, keeperA, keeperB] = market.accounts as [ChainClients, ChainClients, ChainClients, ChainClients, ChainClients]
  await prepareProvider(market, provider)
  await approveBoth(market.deployment, client)
  await setBlockTime(owner, 1)
})

test.after(async () => {
  await market?.stop()
})

test('a deal past its deadline is liquidated within 2 s of it on 1 s blocks; the client gets its payment and compensation', async () => {
  const { deployment } = market
  const running = await startKeeper(market, keeperA)
  try {
    const liquidated = nextEvent(running.keeper, 'liquidated', (detail) => detail.kind === 'deal', 15_000)
    const now = await chainTime(owner)
    // The market's shortest deal is a minute: open one, then move the chain to 4 s before its deadline.
    const { terms, dealId } = await openTestDeal(market, provider, client, { deadline: now + 70n, expiry: now + 60n })
    await increaseTime(owner, 66)
    const paymentBefore = await balanceOf(client, deployment.paymentToken)
    const collateralBefore = await balanceOf(client, deployment.collateralToken)

    const detail = await liquidated
    assert.ok(detail.kind === 'deal')
    assert.is(detail.dealId, dealId)
    assert.is(detail.reason, 'deadline')
    const delay = detail.blockTimestamp - terms.deadline
    console.log(`    deadline ${terms.deadline}, liquidated in block ${detail.blockNumber} stamped ${detail.blockTimestamp}: ${delay} s after the deadline`)
    assert.ok(delay >= 0n && delay <= 2n, `liquidated ${delay} s after the deadline`)

    assert.is((await getDeal(owner, { deployment, dealId })).statusName, 'Liquidated')
    // Credited (pull, not push): the client claims its refund at once; the compensation, taken from the
    // provider's collateral, vests an unbonding period first.
    await claim(client, { deployment, token: deployment.paymentToken })
    assert.is(await balanceOf(client, deployment.paymentToken), paymentBefore + terms.price, 'payment refunded')
    // 20 tUSD of compensation at $2 per ALS.
    const vesting = await owner.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'vesting', args: [deployment.collateralToken, client.wallet.account.address] })
    assert.is(vesting.reduce((sum, { amount }) => sum + amount, 0n), parseUnits('10', 18), 'compensated (vesting)')
    assert.is(await balanceOf(client, deployment.collateralToken), collateralBefore)
    assert.ok(detail.keeperBonus > 0n)
    const metrics = running.keeper.metrics()
    assert.is(metrics.dealsLiquidated, 1)
    assert.is(metrics.errors, 0)
  } finally {
    await running.close()
  }
})

test('two keepers race for one liquidation: one wins, the other records a lost race, neither crashes', async () => {
  const { deployment } = market
  const a = await startKeeper(market, keeperA)
  const b = await startKeeper(market, keeperB)
  try {
    const now = await chainTime(owner)
    const { dealId } = await openTestDeal(market, provider, client, { deadline: now + 70n, expiry: now + 60n })
    await increaseTime(owner, 67)
    const outcome = (keeper: Keeper) =>
      new Promise<string>((resolve) => {
        keeper.addEventListener('liquidated', ({ detail }) => detail.kind === 'deal' && detail.dealId === dealId && resolve('liquidated'))
        keeper.addEventListener('lostRace', ({ detail }) => detail.target === dealId && resolve('lostRace'))
        keeper.addEventListener('error', ({ detail }) => resolve(`error ${detail.error.name}: ${detail.error.message}`))
      })
    const outcomes = await withTimeout(Promise.all([outcome(a.keeper), outcome(b.keeper)]), 15_000, 'outcome for both keepers')
    assert.equal([...outcomes].sort(), ['liquidated', 'lostRace'])

    const logs = await owner.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'DealLiquidated', args: { dealId }, fromBlock: 0n })
    assert.is(logs.length, 1, 'liquidated once on chain')
    const [ma, mb] = [a.keeper.metrics(), b.keeper.metrics()]
    assert.is(ma.dealsLiquidated + mb.dealsLiquidated, 1)
    assert.is(ma.lostRaces + mb.lostRaces, 1)
    assert.is(ma.errors + mb.errors, 0)

    // Both still follow the chain.
    const blocks = [ma.lastBlock!, mb.lastBlock!]
    await waitFor(() => a.keeper.metrics().lastBlock! > blocks[0]! && b.keeper.metrics().lastBlock! > blocks[1]!, { timeout: 5_000, what: 'new blocks' })
    await waitFor(() => a.keeper.metrics().dealsTracked === 0 && b.keeper.metrics().dealsTracked === 0, { timeout: 5_000, what: 'the deal to leave both books' })
  } finally {
    await a.close()
    await b.close()
  }
})

test.run()
