import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hexToString, type Address } from 'viem'
import { allotMarketAbi, allotMarketBytecode, allotMarketFactoryAbi } from '../../../contracts/abi/index.ts'
import { defaultMarketParameters, readMarketConfig, type MarketConfig, type MarketParameters } from '../../../node/chain/createMarket.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { checkMarketParameters, readMarketBounds, type MarketBounds } from '../../../node/chain/marketBounds.ts'

// The CLI checks parameters before sending; these tests hold that check to the contract's
// own verdict (a simulated createMarket on anvil) at every bound and on random configurations.
let market: DevMarket
let bounds: MarketBounds
let base: MarketConfig

const abi = [...allotMarketFactoryAbi, ...allotMarketAbi.filter((item) => item.type === 'error')]

/** What the factory says to creating a market with `params`: ok, or the constructor's error and the field it names. */
async function onChain(params: MarketParameters): Promise<{ ok: true } | { ok: false; error: string; field?: string }> {
  const clients = market.accounts[0]!
  try {
    await clients.public.simulateContract({ address: market.deployment.factory as Address, abi, functionName: 'createMarket', args: [allotMarketBytecode, { ...base, params }], account: clients.wallet.account })
    return { ok: true }
  } catch (error) {
    const data = (error as { walk: (fn: (e: unknown) => boolean) => { data?: { errorName: string; args: readonly unknown[] } } | null }).walk((e) => Boolean((e as { data?: { errorName?: string } }).data?.errorName))?.data
    if (!data) throw error
    return { ok: false, error: data.errorName, field: data.errorName === 'ParameterOutOfBounds' ? hexToString(data.args[0] as `0x${string}`, { size: 32 }) : undefined }
  }
}

async function agree(params: MarketParameters, label: string) {
  const problems = checkMarketParameters(params, bounds)
  const verdict = await onChain(params)
  assert.is(problems.length === 0, verdict.ok, `${label}: check says ${JSON.stringify(problems)}, contract says ${JSON.stringify(verdict)}`)
  if (verdict.ok) return
  if (verdict.error === 'ClientsNotSenior') assert.ok(problems.some((p) => p.field === 'collateralFactorBps' && p.rule?.includes('clients')), `${label}: ClientsNotSenior not found`)
  else assert.ok(problems.some((p) => p.field === verdict.field), `${label}: contract refused ${verdict.field}, the check named ${problems.map((p) => p.field)}`)
}

test.before(async () => {
  market = await startDevMarket()
  bounds = await readMarketBounds(market.accounts[0]!, { market: market.deployment.market })
  // Another arbiter: the default parameters would otherwise be the default market's configuration (MarketExists).
  base = { ...(await readMarketConfig(market.accounts[0]!, { market: market.deployment.market })), arbiter: market.accounts[2]!.wallet.account.address }
})
test.after(() => market.stop())

test('the bounds are read from the contract: the default market passes, and the constants are the ones it enforces', async () => {
  assert.equal(checkMarketParameters(defaultMarketParameters, bounds), [])
  assert.is(bounds.MAX_COLLATERAL_FACTOR_BPS, 9500)
  assert.is(bounds.MIN_DEAL_DURATION, 60)
})

test('at every bound of every field (the others at their defaults) the check and the contract agree', async () => {
  for (const field of Object.keys(defaultMarketParameters) as (keyof MarketParameters)[]) {
    // The largest value the field's type holds makes the check state its range given the other defaults.
    const largest = field.endsWith('Bps') ? 2 ** 16 - 1 : 2 ** 32 - 1
    const [range] = checkMarketParameters({ ...defaultMarketParameters, [field]: largest }, bounds)
    assert.ok(range, `${field} = ${largest} passed the check`)
    const candidates = new Set([0, range.min - 1, range.min, range.max, range.max + 1].filter((value) => value >= 0))
    for (const value of candidates) await agree({ ...defaultMarketParameters, [field]: value }, `${field} = ${value}`)
  }
})

test('on random configurations across the cross-field rules (clients first, LT above CF, bonus below 1/LT, CF floor) they agree', async () => {
  let seed = 12345
  const random = (min: number, max: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31
    return min + (seed % (max - min + 1))
  }
  let accepted = 0
  for (let i = 0; i < 60; i++) {
    const collateralFactorBps = random(500, 9600)
    const params = {
      ...defaultMarketParameters,
      collateralFactorBps,
      liquidationThresholdBps: random(collateralFactorBps - 200, 9950),
      liquidationBonusBps: random(0, 2100),
      keeperBonusBps: random(0, 2100),
      insuranceBps: random(0, 3000),
      minCollateralFactorBps: random(900, collateralFactorBps + 100),
    }
    if ((await onChain(params)).ok) accepted++
    await agree(params, JSON.stringify(params))
  }
  assert.ok(accepted > 3 && accepted < 57, `only ${accepted} of 60 accepted: the sample misses one side of the rules`)
})

test.run()
