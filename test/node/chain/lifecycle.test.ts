import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { erc20Abi, keccak256, parseEventLogs, parseUnits, toHex } from 'viem'
import { allotMarketAbi, mockPriceFeedAbi } from '../../../contracts/abi/index.ts'
import { commitResult } from '../../../node/chain/actions/commitResult.ts'
import { depositCollateral } from '../../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../../node/chain/actions/ensureAllowance.ts'
import { liquidateDeal } from '../../../node/chain/actions/liquidateDeal.ts'
import { liquidatePosition } from '../../../node/chain/actions/liquidatePosition.ts'
import { openDeal } from '../../../node/chain/actions/openDeal.ts'
import { getDeal, getHealthFactor, getPosition } from '../../../node/chain/actions/readMarket.ts'
import { settle } from '../../../node/chain/actions/settle.ts'
import { claim } from '../../../node/chain/actions/claim.ts'
import { withdrawEarnings } from '../../../node/chain/actions/withdrawEarnings.ts'
import type { ChainClients } from '../../../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { increaseTime } from '../../../node/chain/devTime.ts'
import { ContractRevertError } from '../../../node/chain/errors.ts'
import { hashDealTerms } from '../../../protocol/eip712/hashDealTerms.ts'
import { signedTerms } from '../../helpers/deals.ts'

let market: DevMarket
let owner: ChainClients, provider: ChainClients, client: ChainClients, keeper: ChainClients

const balance = (clients: ChainClients, token: `0x${string}`, account = clients.wallet.account.address) =>
  clients.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })

test.before(async () => {
  market = await startDevMarket()
  ;[owner, provider, client, keeper] = market.accounts as [ChainClients, ChainClients, ChainClients, ChainClients]
  const { deployment } = market
  for (const clients of [provider, client, keeper]) {
    await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount: 1n })
    await ensureAllowance(clients, { token: deployment.collateralToken, spender: deployment.market, amount: 1n })
  }
  // 100 ALS at $2 = $200 of collateral value; CF 0.8 lets it back $160 of deal collateral.
  await depositCollateral(provider, { deployment, amount: parseUnits('100', 18) })
})

test.after(async () => {
  await market?.stop()
})

test('a deal opens, commits and settles; the provider is paid less the fee', async () => {
  const { deployment } = market
  const { terms, signature } = await signedTerms(deployment, provider, client)
  const providerBefore = await balance(provider, deployment.paymentToken)
  const clientBefore = await balance(client, deployment.paymentToken)

  const opened = await openDeal(client, { deployment, terms, providerSignature: signature })
  assert.is(opened.dealId, hashDealTerms(terms, { chainId: deployment.chainId, market: deployment.market }))
  assert.is((await getDeal(client, { deployment, dealId: opened.dealId })).statusName, 'Open')
  assert.is((await getPosition(client, { deployment, provider: terms.provider })).obligations, terms.collateral)
  assert.is(await balance(client, deployment.paymentToken), clientBefore - terms.price)

  await commitResult(provider, { deployment, dealId: opened.dealId, resultHash: keccak256(toHex('result')) })
  assert.is((await getDeal(client, { deployment, dealId: opened.dealId })).statusName, 'Committed')
  await settle(client, { deployment, terms })
  assert.is((await getDeal(client, { deployment, dealId: opened.dealId })).statusName, 'Settled')
  const fee = (terms.price * 100n) / 10_000n
  // Settlement credits the provider's earnings (pull, not push); withdrawing sends them less the fee.
  assert.is(await balance(provider, deployment.paymentToken), providerBefore)
  assert.is((await getPosition(client, { deployment, provider: terms.provider })).earnings, terms.price)
  await withdrawEarnings(provider, { deployment })
  assert.is(await balance(provider, deployment.paymentToken), providerBefore + terms.price - fee)
  assert.is((await getPosition(client, { deployment, provider: terms.provider })).obligations, 0n)
})

test('a missed deadline is liquidated by a keeper and the client is made whole', async () => {
  const { deployment } = market
  const { terms, signature } = await signedTerms(deployment, provider, client)
  await openDeal(client, { deployment, terms, providerSignature: signature })
  const paymentBefore = await balance(client, deployment.paymentToken)
  const collateralBefore = await balance(client, deployment.collateralToken)
  const keeperBefore = await balance(keeper, deployment.collateralToken)

  try {
    await liquidateDeal(keeper, { deployment, terms })
    assert.unreachable('liquidated before the deadline')
  } catch (error) {
    assert.instance(error, ContractRevertError)
    assert.is((error as ContractRevertError).errorName, 'DeadlineNotReached')
  }
  await increaseTime(keeper, 601)
  const liquidated = await liquidateDeal(keeper, { deployment, terms })
  // Credited, not sent: client and keeper claim what the liquidation credited them. The refund at once; the
  // compensation and the bonus, taken from the provider's collateral, once they have vested.
  assert.is(await balance(client, deployment.paymentToken), paymentBefore)
  await claim(client, { deployment, token: deployment.paymentToken })
  const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealLiquidated', logs: liquidated.receipt.logs })
  try {
    await claim(client, { deployment, token: deployment.collateralToken })
    assert.unreachable('claimed compensation still vesting')
  } catch (error) {
    assert.instance(error, ContractRevertError)
    assert.is((error as ContractRevertError).errorName, 'CreditVesting')
    assert.is((error as ContractRevertError).args[3], event!.args.vestedUntil)
  }
  await increaseTime(keeper, Number(event!.args.vestedUntil - (await owner.public.getBlock()).timestamp))
  await claim(client, { deployment, token: deployment.collateralToken })
  await claim(keeper, { deployment, token: deployment.collateralToken })
  // Weeks later: the feed publishes again, as a real one would, for the tests that follow.
  const [, answer] = await owner.public.readContract({ address: deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'latestRoundData' })
  await owner.public.waitForTransactionReceipt({ hash: await owner.wallet.writeContract({ address: deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [answer] } as never) })

  assert.is(await balance(client, deployment.paymentToken), paymentBefore + terms.price, 'payment refunded')
  // 20 tUSD of compensation at 2 tUSD per ALS = 10 ALS.
  assert.is(await balance(client, deployment.collateralToken), collateralBefore + parseUnits('10', 18), 'compensated in collateral')
  assert.ok((await balance(keeper, deployment.collateralToken)) > keeperBefore, 'keeper paid a bonus')
  assert.is((await getPosition(client, { deployment, provider: terms.provider })).obligations, 0n)
})

test('a price drop makes a position liquidatable and a liquidator covers it', async () => {
  const { deployment } = market
  const { terms, signature } = await signedTerms(deployment, provider, client, { collateral: 120_000_000n, deadline: (await owner.public.getBlock()).timestamp + 100_000n })
  await openDeal(client, { deployment, terms, providerSignature: signature })
  const healthyHf = await getHealthFactor(client, { deployment, provider: terms.provider })
  assert.ok(healthyHf >= 10n ** 18n)

  // ALS falls from $2.00 to $1.00: ~89 ALS × $1 × 0.9 < 120 tUSD of obligations.
  const hash = await owner.wallet.writeContract({ address: deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [1n * 10n ** 8n] } as never)
  await owner.public.waitForTransactionReceipt({ hash })
  const hf = await getHealthFactor(client, { deployment, provider: terms.provider })
  assert.ok(hf < 10n ** 18n, `health factor ${hf} should be below 1`)

  const keeperCollateralBefore = await balance(keeper, deployment.collateralToken)
  const repay = 20_000_000n
  await liquidatePosition(keeper, { deployment, provider: terms.provider, amount: repay })
  const after = await getPosition(client, { deployment, provider: terms.provider })
  assert.is(after.coverage, repay)
  // The collateral is worth less than the obligations: no equity, so no bonus (it would come out of what
  // backs the client). 20 tUSD at $1 = 20 ALS.
  assert.is((await balance(keeper, deployment.collateralToken)) - keeperCollateralBefore, parseUnits('20', 18))
  assert.ok((await getHealthFactor(client, { deployment, provider: terms.provider })) > hf)
})

test('a reverted call comes back as its named custom error and changes nothing', async () => {
  const { deployment } = market
  const now = (await owner.public.getBlock()).timestamp
  const { terms, signature } = await signedTerms(deployment, provider, client, { expiry: now - 1n })
  const before = await getPosition(client, { deployment, provider: terms.provider })
  const paymentBefore = await balance(client, deployment.paymentToken)
  try {
    await openDeal(client, { deployment, terms, providerSignature: signature })
    assert.unreachable('an expired offer opened')
  } catch (error) {
    assert.instance(error, ContractRevertError)
    const revert = error as ContractRevertError
    assert.is(revert.errorName, 'OfferExpired')
    assert.equal(revert.args, [terms.expiry])
    assert.match(revert.shortMessage, /openDeal reverted with OfferExpired/)
  }
  assert.equal(await getPosition(client, { deployment, provider: terms.provider }), before)
  assert.is(await balance(client, deployment.paymentToken), paymentBefore)
})

test.run()
