// The keeper takes every new price round into the market's volatility estimate, and the
// effective collateral factor and liquidation threshold follow: down in a volatile stretch,
// back up when the price calms (real anvil, the default market's rule).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { getEffectiveFactors, getVolatility } from '../../../node/chain/actions/readMarket.ts'
import type { ChainClients } from '../../../node/chain/clients.ts'
import { defaultMarketParameters } from '../../../node/chain/createMarket.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { nextEvent, setPrice, startKeeper } from './helpers.ts'

let market: DevMarket
let owner: ChainClients, keeperAccount: ChainClients

test.before(async () => {
  market = await startDevMarket()
  ;[owner, keeperAccount] = [market.accounts[0]!, market.accounts[3]!]
})

test.after(async () => {
  await market?.stop()
})

test('each new price round is taken in by the keeper; CF and LT fall while the price swings and rise when it calms', async () => {
  const { deployment } = market
  const running = await startKeeper(market, keeperAccount)
  try {
    const round = async (answer: bigint) => {
      const updated = nextEvent(running.keeper, 'volatility', () => true, 20_000)
      await setPrice(owner, deployment, answer)
      return updated
    }
    const calm = await round(200_000_000n)
    assert.is(calm.collateralFactorBps, BigInt(defaultMarketParameters.collateralFactorBps), 'no variance before a second round')

    const seen: bigint[] = []
    for (const answer of [220_000_000n, 200_000_000n, 220_000_000n, 200_000_000n]) seen.push((await round(answer)).collateralFactorBps)
    for (let i = 1; i < seen.length; i++) assert.ok(seen[i]! < seen[i - 1]!, `CF keeps falling: ${seen.join(', ')}`)
    const volatile = await getEffectiveFactors(owner, { deployment })
    assert.is(volatile.collateralFactorBps, seen.at(-1))
    assert.is(volatile.liquidationThresholdBps, volatile.collateralFactorBps + BigInt(defaultMarketParameters.liquidationThresholdBps - defaultMarketParameters.collateralFactorBps), 'LT falls by the same cut')
    assert.ok(volatile.collateralFactorBps >= 5_000n, 'never below the floor fixed at creation')

    let last = volatile.collateralFactorBps
    for (let i = 0; i < 6; i++) last = (await round(200_000_000n)).collateralFactorBps
    assert.ok(last > volatile.collateralFactorBps, `CF recovers when the price calms (${volatile.collateralFactorBps} → ${last})`)
    assert.ok((await getVolatility(owner, { deployment })).roundId > 0n)
    assert.is(running.keeper.metrics().errors, 0)
  } finally {
    await running.close()
  }
})

test.run()
