// npm run bench:gas — gas per market operation, read from receipts on anvil.
// Steady state: each figure is the second of its kind between the same parties,
// so one-time costs (first token balance, first position slot) are not counted;
// approvals are measured on their own and listed apart.
// The market pays by credit (pull over push): `lifecycle` is a client whose credit in
// the market pays its deals (it deposited a budget once with `allot deposit`);
// `lifecyclePulled` a client without credit, whose price is pulled at opening.
// settleMany is a keeper settling one provider's 20 deals after their challenge window.
import { keccak256, parseUnits, toHex, type Hex } from 'viem'
import { mockPriceFeedAbi } from '../contracts/abi/index.ts'
import { commitResult } from '../node/chain/actions/commitResult.ts'
import { claim } from '../node/chain/actions/claim.ts'
import { depositCollateral } from '../node/chain/actions/depositCollateral.ts'
import { depositPayment } from '../node/chain/actions/depositPayment.ts'
import { dispute } from '../node/chain/actions/dispute.ts'
import { ensureAllowance } from '../node/chain/actions/ensureAllowance.ts'
import { liquidateDeal } from '../node/chain/actions/liquidateDeal.ts'
import { liquidatePosition } from '../node/chain/actions/liquidatePosition.ts'
import { openDeal } from '../node/chain/actions/openDeal.ts'
import { getMaxDealCollateral, getParameters } from '../node/chain/actions/readMarket.ts'
import { requestWithdrawal } from '../node/chain/actions/requestWithdrawal.ts'
import { resolveDispute } from '../node/chain/actions/resolveDispute.ts'
import { settle } from '../node/chain/actions/settle.ts'
import { settleMany } from '../node/chain/actions/settleMany.ts'
import { signDealTerms } from '../node/chain/actions/signDealTerms.ts'
import { withdrawEarnings } from '../node/chain/actions/withdrawEarnings.ts'
import type { ChainClients } from '../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../node/chain/devMarket.ts'
import { chainTime, increaseTime } from '../node/chain/devTime.ts'
import type { DealTerms } from '../protocol/types/dealTerms.ts'

type Figures = Record<string, number>

/** Publishes the feed's answer again, so that it is fresh after the clock was moved on. */
async function refreshPrice(owner: ChainClients, feed: Hex) {
  const [, answer] = await owner.public.readContract({ address: feed, abi: mockPriceFeedAbi, functionName: 'latestRoundData' })
  const hash = await owner.wallet.writeContract({ address: feed, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [answer] } as never)
  await owner.public.waitForTransactionReceipt({ hash })
}

async function measure(collateral: 'separate' | 'same'): Promise<Figures> {
  const market = await startDevMarket({ collateral })
  try {
    return await run(market)
  } finally {
    await market.stop()
  }
}

async function run(market: DevMarket): Promise<Figures> {
  const { deployment } = market
  const [owner, provider, client, keeper] = market.accounts as [ChainClients, ChainClients, ChainClients, ChainClients]
  const figures: Figures = {}
  let salt = 0n

  const approvals = []
  for (const who of [provider, client, keeper]) {
    approvals.push(await ensureAllowance(who, { token: deployment.paymentToken, spender: deployment.market, amount: 1n }))
    if (deployment.collateralToken !== deployment.paymentToken)
      approvals.push(await ensureAllowance(who, { token: deployment.collateralToken, spender: deployment.market, amount: 1n }))
  }
  figures.approve = Number(approvals.find(Boolean)!.gasUsed)

  const stake = deployment.priceFeed ? parseUnits('1000', 18) : parseUnits('2000', 6)
  await depositCollateral(provider, { deployment, amount: stake })
  figures.depositCollateral = Number((await depositCollateral(provider, { deployment, amount: stake })).gasUsed)

  const deal = async (overrides: Partial<DealTerms> = {}) => {
    const now = await chainTime(client)
    const terms: DealTerms = {
      client: client.wallet.account.address,
      provider: provider.wallet.account.address,
      price: 10_000_000n,
      collateral: 20_000_000n,
      jobHash: keccak256(toHex(`bench job ${salt}`)),
      deadline: now + 3_600n,
      expiry: now + 600n,
      salt: ++salt,
      ...overrides,
    }
    const signature: Hex = await signDealTerms(provider, { deployment, terms })
    const opened = await openDeal(client, { deployment, terms, providerSignature: signature })
    return { terms, dealId: opened.dealId, gas: Number(opened.gasUsed) }
  }
  const resultHash = keccak256(toHex('result'))

  const lifecycle = async (suffix: string) => {
    for (let round = 0; round < 2; round++) {
      const { terms, dealId, gas } = await deal()
      const committed = await commitResult(provider, { deployment, dealId, resultHash })
      const settled = await settle(client, { deployment, terms })
      figures[`openDeal${suffix}`] = gas
      figures[`commitResult${suffix}`] = Number(committed.gasUsed)
      figures[`settle${suffix}`] = Number(settled.gasUsed)
    }
    figures[`lifecycle${suffix}`] = figures[`openDeal${suffix}`]! + figures[`commitResult${suffix}`]! + figures[`settle${suffix}`]!
  }
  await lifecycle('Pulled')
  figures.depositPayment = Number((await depositPayment(client, { deployment, amount: 10_000_000n * 40n })).gasUsed)
  await lifecycle('')

  const batch: Hex[] = []
  for (let i = 0; i < 20; i++) {
    const { dealId } = await deal()
    await commitResult(provider, { deployment, dealId, resultHash })
    batch.push(dealId)
  }
  const parameters = await getParameters(client, { deployment })
  await increaseTime(keeper, Number(parameters.challengeWindow))
  const many = await settleMany(keeper, { deployment, provider: provider.wallet.account.address, dealIds: batch })
  figures.settleMany20 = Number(many.gasUsed)
  figures.settleManyPerDeal = Math.round(figures.settleMany20 / 20)
  figures.withdrawEarnings = Number((await withdrawEarnings(provider, { deployment })).gasUsed)

  for (let round = 0; round < 2; round++) {
    const { terms, dealId } = await deal()
    await commitResult(provider, { deployment, dealId, resultHash })
    figures.dispute = Number((await dispute(client, { deployment, terms })).gasUsed)
    figures.resolveDispute = Number((await resolveDispute(owner, { deployment, terms, providerAtFault: round === 0 })).gasUsed)
  }

  for (let round = 0; round < 2; round++) {
    const now = await chainTime(client)
    const { terms } = await deal({ deadline: now + 120n })
    await increaseTime(keeper, 121)
    figures.liquidateDeal = Number((await liquidateDeal(keeper, { deployment, terms })).gasUsed)
  }
  // The keeper withdraws its credited bonuses in bulk, one claim per token, once they have vested (they wait
  // one to two unbonding periods: taken from the provider, they may not leave faster than a withdrawal).
  await increaseTime(keeper, 2 * Number(parameters.unbondingPeriod))
  if (deployment.priceFeed) await refreshPrice(owner, deployment.priceFeed)
  figures.claim = Number((await claim(keeper, { deployment, token: deployment.collateralToken })).gasUsed)

  figures.requestWithdrawal = Number((await requestWithdrawal(provider, { deployment, amount: 1n })).gasUsed)

  if (deployment.priceFeed) {
    // Back deals up to the collateral factor, then halve the collateral's price.
    const now = await chainTime(client)
    const room = await getMaxDealCollateral(client, { deployment, provider: provider.wallet.account.address })
    await deal({ collateral: room, deadline: now + 86_400n })
    const hash = await owner.wallet.writeContract({ address: deployment.priceFeed, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [1n * 10n ** 8n] } as never)
    await owner.public.waitForTransactionReceipt({ hash })
    await liquidatePosition(keeper, { deployment, provider: provider.wallet.account.address, amount: 10_000_000n })
    figures.liquidatePosition = Number((await liquidatePosition(keeper, { deployment, provider: provider.wallet.account.address, amount: 10_000_000n })).gasUsed)
  }
  return figures
}

const separate = await measure('separate')
const same = await measure('same')

const targets: Record<string, number> = { lifecycle: 150_000, settleManyPerDeal: 8_000, liquidateDeal: 80_000 }
const rows = [
  'depositCollateral',
  'depositPayment',
  'openDeal',
  'commitResult',
  'settle',
  'lifecycle',
  'openDealPulled',
  'lifecyclePulled',
  'settleManyPerDeal',
  'withdrawEarnings',
  'claim',
  'dispute',
  'resolveDispute',
  'liquidateDeal',
  'liquidatePosition',
  'requestWithdrawal',
  'approve',
]
const format = (value: number | undefined) => (value === undefined ? '—' : value.toLocaleString('en-US'))
console.log('gas per operation (receipts on anvil, steady state)\n')
console.log(`${'operation'.padEnd(20)}${'collateral ≠ payment'.padStart(22)}${'same token'.padStart(14)}${'target'.padStart(12)}`)
for (const row of rows) {
  const label = row === 'approve' ? 'approve (once)' : row
  console.log(`${label.padEnd(20)}${format(separate[row]).padStart(22)}${format(same[row]).padStart(14)}${(targets[row] ? `≤ ${format(targets[row])}` : '').padStart(12)}`)
}
console.log('')
console.log(JSON.stringify({ ...separate, lifecycleSameToken: same.lifecycle, lifecyclePulledSameToken: same.lifecyclePulled, settleManyPerDealSameToken: same.settleManyPerDeal, liquidateDealSameToken: same.liquidateDeal }))
