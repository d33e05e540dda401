// A block per transaction, time travel where waiting is not the point.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, parseUnits, toHex } from 'viem'
import { commitResult } from '../../../node/chain/actions/commitResult.ts'
import { dispute } from '../../../node/chain/actions/dispute.ts'
import { getDeal, getHealthFactor, getPosition } from '../../../node/chain/actions/readMarket.ts'
import { resolveDispute } from '../../../node/chain/actions/resolveDispute.ts'
import { claim } from '../../../node/chain/actions/claim.ts'
import { createChainClients, type ChainClients } from '../../../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { chainTime, increaseTime } from '../../../node/chain/devTime.ts'
import { createKeeper } from '../../../node/keeper/index.ts'
import { openStore } from '../../../node/store/openStore.ts'
import { approveBoth, balanceOf, nextEvent, openTestDeal, prepareProvider, recordEvents, setPrice, startKeeper, waitFor } from './helpers.ts'

const WAD = 10n ** 18n
let market: DevMarket
let owner: ChainClients, client: ChainClients, keeperAccount: ChainClients
let disputedProvider: ChainClients, pricedProvider: ChainClients, restartProvider: ChainClients

test.before(async () => {
  // A market that does not follow volatility, so the close-factor figures below stay exact; the keeper's
  // volatility updates are in volatility.test.ts. CF 0.8 and LT 0.9 are what those figures are worked out for.
  market = await startDevMarket({ parameters: { volatilityWeightBps: 0, collateralFactorBps: 8_000, liquidationThresholdBps: 9_000 } })
  const accounts = market.accounts as ChainClients[]
  ;[owner, client, keeperAccount, disputedProvider, pricedProvider, restartProvider] = [0, 2, 3, 1, 4, 5].map((i) => accounts[i]!) as ChainClients[] as [
    ChainClients,
    ChainClients,
    ChainClients,
    ChainClients,
    ChainClients,
    ChainClients,
  ]
  await approveBoth(market.deployment, client)
  for (const provider of [disputedProvider, pricedProvider, restartProvider]) await prepareProvider(market, provider)
})

test.after(async () => {
  await market?.stop()
})

test('a lost dispute is liquidated at once; nothing happens while the dispute is open', async () => {
  const { deployment } = market
  const running = await startKeeper(market, keeperAccount)
  const events = recordEvents(running.keeper)
  try {
    const { terms, dealId } = await openTestDeal(market, disputedProvider, client)
    await commitResult(disputedProvider, { deployment, dealId, resultHash: keccak256(toHex('a wrong result')) })
    await dispute(client, { deployment, terms })
    await waitFor(() => running.keeper.metrics().cursor!.block >= (running.keeper.metrics().lastBlock ?? 0n) && running.keeper.metrics().lastBlock !== undefined, { what: 'the keeper to catch up' })
    assert.equal(events, [], 'a committed or disputed deal is not liquidatable')

    const paymentBefore = await balanceOf(client, deployment.paymentToken)
    const liquidated = nextEvent(running.keeper, 'liquidated')
    const resolved = await resolveDispute(owner, { deployment, terms, providerAtFault: true })
    const detail = await liquidated
    assert.ok(detail.kind === 'deal' && detail.dealId === dealId)
    assert.is(detail.reason, 'dispute')
    assert.is(detail.blockNumber, resolved.receipt.blockNumber + 1n, 'in the block right after the ruling')
    assert.is((await getDeal(owner, { deployment, dealId })).statusName, 'Liquidated')
    // The refund (credited by the liquidation, claimed) plus the dispute bond (returned by the ruling itself).
    await claim(client, { deployment, token: deployment.paymentToken })
    assert.ok((await balanceOf(client, deployment.paymentToken)) >= paymentBefore + terms.price)
    await waitFor(() => running.keeper.metrics().dealsTracked === 0, { what: 'the deal to leave the book' })
  } finally {
    await running.close()
  }
})

test('a price drop below health factor 1 is liquidated in the next block, by the close factor', async () => {
  const { deployment } = market
  const provider = pricedProvider.wallet.account.address
  const running = await startKeeper(market, keeperAccount)
  try {
    // 100 ALS at $2 backs 120 tUSD of obligations comfortably (HF 1.5).
    const { blockNumber } = await openTestDeal(market, pricedProvider, client, { collateral: 120_000_000n })
    await waitFor(() => (running.keeper.metrics().cursor?.block ?? 0n) >= blockNumber, { what: 'the keeper to see the deal' })
    const keeperCollateralBefore = await balanceOf(keeperAccount, deployment.collateralToken)

    // $1.30: HF = 100 × 1.3 × 0.9 / 120 = 0.975, between 0.95 and 1, so half the uncovered obligations may be covered.
    const liquidated = nextEvent(running.keeper, 'liquidated', (detail) => detail.kind === 'position')
    const priced = await setPrice(owner, deployment, 130_000_000n)
    const detail = await liquidated
    assert.ok(detail.kind === 'position')
    assert.is(detail.provider, provider)
    assert.ok(detail.healthFactor < WAD && detail.healthFactor > 95n * 10n ** 16n, `health factor ${detail.healthFactor}`)
    assert.is(detail.blockNumber, priced.blockNumber + 1n, 'in the block right after the price update')
    assert.is(detail.repaid, 60_000_000n, '50% of 120 tUSD uncovered')
    const position = await getPosition(owner, { deployment, provider })
    assert.is(position.coverage, 60_000_000n)
    assert.is((await balanceOf(keeperAccount, deployment.collateralToken)) - keeperCollateralBefore, detail.collateralSeized)
    // 60 tUSD × 1.05 at $1.30 per ALS: 6-decimal value to 18-decimal collateral through an 8-decimal price.
    assert.is(detail.collateralSeized, (63_000_000n * 10n ** 20n) / 130_000_000n)
    assert.ok((await getHealthFactor(owner, { deployment, provider })) >= WAD, 'healthy again')
    assert.is(running.keeper.metrics().positionsLiquidated, 1)
  } finally {
    await running.close()
    await setPrice(owner, deployment, 2n * 10n ** 8n)
  }
})

test('a keeper restarted from its home resumes from its cursor, remembers deals, and liquidates one opened while it was down', async () => {
  const { deployment } = market
  const home = await mkdtemp(join(tmpdir(), 'allot-keeper-home-'))
  try {
    const first = await startKeeper(market, keeperAccount, {}, home)
    const now = await chainTime(owner)
    let remembered: Awaited<ReturnType<typeof openTestDeal>>
    try {
      remembered = await openTestDeal(market, restartProvider, client, { deadline: now + 100n })
      await waitFor(() => (first.keeper.metrics().cursor?.block ?? 0n) >= remembered.blockNumber, { what: 'the keeper to see the deal' })
    } finally {
      await first.close()
    }
    const stoppedAt = first.keeper.metrics().cursor!.block
    const tracked = first.keeper.metrics().dealsTracked
    assert.ok(tracked >= 1)

    const missed = await openTestDeal(market, restartProvider, client, { deadline: (await chainTime(owner)) + 100n })
    await increaseTime(owner, 200)

    const second = await startKeeper(market, keeperAccount, {}, home)
    try {
      assert.is(second.keeper.metrics().resumedFrom, stoppedAt, 'resumed from the stored cursor')
      assert.is(second.keeper.metrics().dealsTracked, tracked, 'the deals seen before the restart are remembered from the store')
      const liquidated = new Set<string>()
      second.keeper.addEventListener('liquidated', ({ detail }) => detail.kind === 'deal' && liquidated.add(detail.dealId))
      await waitFor(() => liquidated.size === 2, { what: 'both deals to be liquidated' })
      assert.ok(liquidated.has(remembered.dealId) && liquidated.has(missed.dealId))
      assert.ok(missed.blockNumber > stoppedAt, 'the missed deal was opened after the cursor')
      for (const dealId of [remembered.dealId, missed.dealId]) assert.is((await getDeal(owner, { deployment, dealId })).statusName, 'Liquidated')
    } finally {
      await second.close()
    }
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})

test('an unprofitable liquidation is skipped, not sent', async () => {
  const { deployment } = market
  const running = await startKeeper(market, keeperAccount, { minProfit: parseUnits('5', 6) })
  try {
    const now = await chainTime(owner)
    const { dealId } = await openTestDeal(market, restartProvider, client, { deadline: now + 90n })
    const skipped = nextEvent(running.keeper, 'skipped')
    await increaseTime(owner, 120)
    const detail = await skipped
    assert.equal({ target: detail.target, reason: detail.reason, bonus: detail.bonus }, { target: dealId, reason: 'unprofitable', bonus: 1_000_000n })
    assert.is((await getDeal(owner, { deployment, dealId })).statusName, 'Open')
    assert.is(running.keeper.metrics().dealsLiquidated, 0)
  } finally {
    await running.close()
  }
})

test('a keeper whose endpoint is dead reports named errors, keeps trying, and stops cleanly', async () => {
  const home = await mkdtemp(join(tmpdir(), 'allot-keeper-dead-'))
  const store = await openStore(home)
  try {
    const clients = createChainClients({ rpcUrl: 'http://127.0.0.1:1', account: keeperAccount.wallet.account })
    const keeper = createKeeper({ clients, deployment: market.deployment, store }, { retryDelay: 50, maxRetryDelay: 100 })
    const errors: Error[] = []
    keeper.addEventListener('error', ({ detail }) => void errors.push(detail.error))
    await keeper.start()
    await waitFor(() => errors.length >= 3, { what: 'three failures' })
    const started = Date.now()
    await keeper.stop()
    assert.ok(Date.now() - started < 1_000, 'stopped promptly')
    assert.ok(
      errors.every((error) => error.name === 'ChainUnreachableError'),
      errors.map((error) => error.name).join(),
    )
  } finally {
    await store.close()
    await rm(home, { recursive: true, force: true })
  }
})

test.run()
