import { readFile, rm, writeFile, mkdir, cp } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { erc20Abi, parseEventLogs, type Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { allotMarketAbi, mockPriceFeedAbi } from '../../contracts/abi/index.ts'
import { getDeal } from '../../node/chain/actions/readMarket.ts'
import { createChainClients, devPrivateKeys } from '../../node/chain/clients.ts'
import type { DevMarket } from '../../node/chain/devMarket.ts'
import { increaseTime } from '../../node/chain/devTime.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from '../helpers/cli.ts'
import { startE2eMarket } from '../helpers/e2eMarket.ts'

// Separate OS processes over TCP: a provider and a keeper run as `allot` commands;
// the client is the CLI driven with --json, as a script would drive it.
let market: DevMarket
let root: string
let env: Record<string, string>
let provider: AllotProcess
let keeper: AllotProcess
let rival: AllotProcess
let bootstrap: string
const processes: AllotProcess[] = []
const examples = join(import.meta.dirname, '..', '..', 'examples')
const sumJob = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'sum')
const clientKey = devPrivateKeys[4]
const clientAddress = privateKeyToAccount(clientKey).address

const balance = (token: Hex, account: Hex = clientAddress) => market.accounts[0]!.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })
const startProvider = async (listen = '/ip4/127.0.0.1/tcp/0') => {
  const process = spawnAllot(['provider', 'start', '--home', join(root, 'provider'), '--listen', listen, '--cpu', '2000', '--memory', '2048', '--disk', '1024'], { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[1] })
  processes.push(process)
  const info = await process.ready
  return { process, info, address: info.addresses[0] as string }
}
const client = (argv: string[], extra: Record<string, string> = {}) => runCli([...argv, '--json'], { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey, ALLOT_BOOTSTRAP: bootstrap, ...extra } })

test.before(async () => {
  ;({ market, root, env } = await startE2eMarket({ prefix: 'allot-e2e-' }))
  ;({ process: provider, address: bootstrap } = await startProvider())
  keeper = spawnAllot(['keeper', 'start', '--home', join(root, 'keeper'), '--polling-interval', '200'], { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[5] })
  // A second keeper process races the first for every liquidation.
  rival = spawnAllot(['keeper', 'start', '--home', join(root, 'rival'), '--polling-interval', '200'], { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[6] })
  processes.push(keeper, rival)
})

test.after(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await market?.stop()
  await rm(root, { recursive: true, force: true })
})

test('job submit runs a job on a provider process and settles; the result bytes and balances check out', async () => {
  const before = await balance(market.deployment.paymentToken)
  const result = await client(['job', 'submit', sumJob, '--max-price', '0.5'])
  assert.is(result.code, 0, result.stderr + result.stdout)
  const printed = result.json()
  assert.is(printed.state, 'settled')
  assert.is(printed.exitCode, 0)
  assert.is(await readFile(join(printed.resultDir, 'stdout'), 'utf8'), 'sum=155\n')
  assert.is(await readFile(join(printed.resultDir, 'output', 'sum.txt'), 'utf8'), '155\n')
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: printed.dealId })).statusName, 'Settled')
  assert.is(before - (await balance(market.deployment.paymentToken)), BigInt(printed.price))
  const list = await client(['job', 'list'])
  assert.ok(list.json().some((deal: { dealId: string }) => deal.dealId === printed.dealId))
})

// A budget held by the market: the deal is paid from it, so opening it moves no tokens (the cheaper lifecycle of
// `npm run bench:gas`), and what is not spent comes back with `allot claim`.
test('a client that deposits a budget pays its deal from the credit, with no approval and no transfer, and claims back the rest', async () => {
  const token = market.deployment.paymentToken
  const reader = market.accounts[0]!.public
  const credit = () => reader.readContract({ address: market.deployment.market, abi: allotMarketAbi, functionName: 'claimable', args: [token, clientAddress] })
  const allowance = () => reader.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [clientAddress, market.deployment.market] })
  const [walletBefore, creditBefore] = await Promise.all([balance(token), credit()])

  const tooMuch = await client(['deposit', '1000000000'])
  assert.is(tooMuch.code, 1, tooMuch.stderr + tooMuch.stdout)
  assert.match(tooMuch.stderr + tooMuch.stdout, 'ClientUnfundedError')
  assert.match(tooMuch.stderr + tooMuch.stdout, 'less than the 1000000000')
  assert.is(await balance(token), walletBefore, 'a refused deposit moves nothing')

  const deposited = await client(['deposit', '2'])
  assert.is(deposited.code, 0, deposited.stderr + deposited.stdout)
  const amount = BigInt(deposited.json().deposited)
  assert.is(walletBefore - (await balance(token)), amount)
  assert.is(await credit(), creditBefore + amount)
  assert.is(BigInt(deposited.json().credit), creditBefore + amount)
  const human = await runCli(['balance'], { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey } })
  assert.match(human.stdout, 'credited to you in the market')

  // As a client that never approved the market: a deal the credit pays must not ask for an approval either.
  const asClient = createChainClients({ rpcUrl: market.anvil.rpcUrl, account: privateKeyToAccount(clientKey) })
  await asClient.public.waitForTransactionReceipt({ hash: await asClient.wallet.writeContract({ address: token, abi: erc20Abi, functionName: 'approve', args: [market.deployment.market, 0n] } as never) })
  const [walletPaying, allowancePaying] = await Promise.all([balance(token), allowance()])
  assert.is(allowancePaying, 0n)
  const result = await client(['job', 'submit', sumJob, '--max-price', '0.5'])
  assert.is(result.code, 0, result.stderr + result.stdout)
  const printed = result.json()
  assert.is(printed.state, 'settled')
  const price = BigInt(printed.price)
  assert.is(await balance(token), walletPaying, 'the wallet paid nothing')
  assert.is(await allowance(), allowancePaying, 'nothing was approved')
  assert.is(await credit(), creditBefore + amount - price)
  const receipt = await reader.getTransactionReceipt({ hash: printed.txs.openDeal })
  assert.is(parseEventLogs({ abi: erc20Abi, eventName: 'Transfer', logs: receipt.logs }).length, 0, 'opening the deal transferred no tokens')

  const claimed = await client(['claim'])
  assert.is(claimed.code, 0, claimed.stderr + claimed.stdout)
  assert.is(await credit(), 0n)
  assert.is((await balance(token)) - walletPaying, creditBefore + amount - price)
})

// Settlement credits the provider (pull, not push): it sees the credit and withdraws it through the CLI.
test('a provider sees the earnings its settled deal credited and withdraws them with allot provider withdraw-earnings', async () => {
  const providerKey = devPrivateKeys[1]
  const providerAddress = privateKeyToAccount(providerKey).address
  const asProvider = (argv: string[]) => runCli([...argv, '--json'], { env: { ...env, ALLOT_HOME: join(root, 'provider'), ALLOT_PRIVATE_KEY: providerKey } })
  const position = () => market.accounts[0]!.public.readContract({ address: market.deployment.market, abi: allotMarketAbi, functionName: 'position', args: [providerAddress] })
  const shown = await asProvider(['balance'])
  assert.is(shown.code, 0, shown.stderr + shown.stdout)
  const earnings = BigInt(shown.json().earnings)
  assert.ok(earnings > 0n, 'the settled deal credited the provider')
  assert.is(earnings, (await position()).earnings)
  const human = await runCli(['balance'], { env: { ...env, ALLOT_HOME: join(root, 'provider'), ALLOT_PRIVATE_KEY: providerKey } })
  assert.match(human.stdout, 'allot provider withdraw-earnings')

  const before = await balance(market.deployment.paymentToken, providerAddress)
  const withdrawn = await asProvider(['provider', 'withdraw-earnings'])
  assert.is(withdrawn.code, 0, withdrawn.stderr + withdrawn.stdout)
  const { withdrawn: amount, fee } = withdrawn.json()
  assert.is(BigInt(fee), (earnings * 100n) / 10_000n, 'the market keeps its 1% fee')
  assert.is(BigInt(amount) + BigInt(fee), earnings)
  assert.is((await balance(market.deployment.paymentToken, providerAddress)) - before, BigInt(amount))
  assert.is((await position()).earnings, 0n)

  // Nothing left: a named error in market words, and nothing moves.
  const again = await asProvider(['provider', 'withdraw-earnings'])
  assert.is.not(again.code, 0)
  assert.match(again.stderr + again.stdout, 'has no earnings in the market to withdraw')
  assert.is((await balance(market.deployment.paymentToken, providerAddress)) - before, BigInt(amount))
})

test('a provider killed mid-job and restarted from its home finishes the job', async () => {
  const submitted = await client(['job', 'submit', join(examples, 'spin'), '--no-wait', '--max-price', '0.5'])
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId } = submitted.json()
  await new Promise((resolve) => setTimeout(resolve, 1_200))
  provider.child.kill('SIGKILL')
  await new Promise((resolve) => provider.child.once('exit', resolve))
  // Restarted from the same home on the same address, as a provider behind a fixed port would be.
  ;({ process: provider } = await startProvider(bootstrap.replace(/\/p2p\/.*$/, '')))
  const result = await client(['job', 'result', dealId])
  assert.is(result.code, 0, result.stderr + result.stdout)
  const printed = result.json()
  assert.is(printed.state, 'settled')
  assert.match(await readFile(join(printed.resultDir, 'stdout'), 'utf8'), 'done after 3 s')
})

test('a malformed manifest fails with its named error and changes nothing on chain or on disk', async () => {
  const folder = join(root, 'bad-job')
  await cp(sumJob, folder, { recursive: true })
  await writeFile(join(folder, 'allot.job.json'), JSON.stringify({ version: 1, runtime: 'wasm', entry: '../escape.wasm', limits: {}, resources: {} }))
  const before = await balance(market.deployment.paymentToken)
  const deals = (await client(['job', 'list'])).json().length
  const result = await client(['job', 'submit', folder])
  assert.is(result.code, 1)
  assert.is(result.json().error.name, 'InvalidJobManifestError')
  assert.is(await balance(market.deployment.paymentToken), before)
  assert.is((await client(['job', 'list'])).json().length, deals)
})

test('a client without enough tokens is refused before negotiating, and nothing moves', async () => {
  const poorKey = generatePrivateKey()
  const poor = privateKeyToAccount(poorKey).address
  await market.accounts[0]!.public.request({ method: 'anvil_setBalance' as never, params: [poor, '0x56BC75E2D63100000'] as never })
  const home = join(root, 'poor')
  await mkdir(home, { recursive: true })
  const result = await client(['job', 'submit', sumJob, '--max-price', '0.5'], { ALLOT_PRIVATE_KEY: poorKey, ALLOT_HOME: home })
  assert.is(result.code, 1, result.stdout)
  const { error } = result.json()
  assert.is(error.name, 'ClientUnfundedError')
  assert.match(error.message, /holds 0 tUSD, less than the 0\.5 tUSD this job may cost/)
  assert.is(await balance(market.deployment.paymentToken, poor), 0n)
})

test('a provider killed mid-job is liquidated by one of two racing keeper processes, and the client is refunded and compensated', async () => {
  const before = await balance(market.deployment.paymentToken)
  const submitted = await client(['job', 'submit', join(examples, 'spin'), '--no-wait', '--max-price', '0.5'])
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId } = submitted.json()
  provider.child.kill('SIGKILL')
  const status = await client(['job', 'status', dealId])
  const price = BigInt(status.json().price)
  const collateral = BigInt(status.json().collateral)
  await increaseTime(market.accounts[0]!, 60 + 120 + 5)
  const deadline = Date.now() + 20_000
  let liquidated = false
  while (!liquidated && Date.now() < deadline) {
    liquidated = (await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId })).statusName === 'Liquidated'
    if (!liquidated) await new Promise((resolve) => setTimeout(resolve, 100))
  }
  assert.ok(liquidated, `the keeper did not liquidate: ${keeper.output().slice(-500)}`)
  const logs = await market.accounts[0]!.public.getContractEvents({ address: market.deployment.market, abi: allotMarketAbi, eventName: 'DealLiquidated', args: { dealId }, fromBlock: 0n })
  const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealLiquidated', logs })
  assert.is(event!.args.refund, price)
  // 100 ALS of stake covers the compensation in full: paid in collateral tokens at the oracle price.
  assert.is(event!.args.compensation, collateral)
  // Credited, not sent (pull, not push): the client sees its credit and claims it through the CLI. Its own
  // payment comes back at once; the compensation, taken from the provider's collateral, vests until
  // `vestedUntil` (one to two unbonding periods), so that no colluding client gets collateral out faster than
  // the provider could withdraw it.
  assert.is(await balance(market.deployment.paymentToken), before - price)
  const now = (await market.accounts[0]!.public.getBlock()).timestamp
  const { unbondingPeriod } = await market.accounts[0]!.public.readContract({ address: market.deployment.market, abi: allotMarketAbi, functionName: 'parameters' })
  const vestedUntil = BigInt(event!.args.vestedUntil)
  assert.ok(vestedUntil >= now + BigInt(unbondingPeriod) - 60n && vestedUntil <= now + 2n * BigInt(unbondingPeriod), `vests one to two unbonding periods: ${vestedUntil - now} s`)
  const shown = await client(['balance'])
  assert.is(BigInt(shown.json().payment.claimable), price)
  assert.is(BigInt(shown.json().collateral.claimable), 0n)
  const [vesting] = shown.json().collateral.vesting
  const compensation = BigInt(vesting.amount)
  assert.ok(compensation > 0n, 'the compensation is credited in collateral tokens, vesting')
  assert.is(BigInt(vesting.unlockAt), vestedUntil)
  const date = new Date(Number(vestedUntil) * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' })
  const human = await runCli(['balance'], { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey } })
  assert.match(human.stdout, `claimable from ${date}`)

  // Before the unbonding period: the refund only; the CLI says what still vests and from when.
  const collateralBefore = await balance(market.deployment.collateralToken)
  const early = await client(['claim'])
  assert.is(early.code, 0, early.stderr + early.stdout)
  const claims = (result: typeof early) => result.json().claimed.map(({ token, amount }: { token: string; amount: string }) => [token.toLowerCase(), BigInt(amount)])
  assert.equal(claims(early), [[market.deployment.paymentToken.toLowerCase(), price]])
  assert.equal(early.json().vesting.map(({ amount, unlockAt }: { amount: string; unlockAt: string }) => [BigInt(amount), BigInt(unlockAt)]), [[compensation, vestedUntil]])
  assert.is(await balance(market.deployment.paymentToken), before)
  assert.is(await balance(market.deployment.collateralToken), collateralBefore)
  const waiting = await runCli(['claim'], { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey } })
  assert.is(waiting.code, 1, waiting.stderr + waiting.stdout)
  assert.match(waiting.stderr + waiting.stdout, `Nothing is claimable yet`)
  assert.match(waiting.stderr + waiting.stdout, `claimable from ${date}`)
  assert.is(await balance(market.deployment.collateralToken), collateralBefore)

  // After it: the compensation.
  await increaseTime(market.accounts[0]!, Number(vestedUntil - (await market.accounts[0]!.public.getBlock()).timestamp))
  const claimed = await client(['claim'])
  assert.is(claimed.code, 0, claimed.stderr + claimed.stdout)
  assert.equal(claims(claimed), [[market.deployment.collateralToken.toLowerCase(), compensation]])
  assert.equal(claimed.json().vesting, [])
  assert.is((await balance(market.deployment.collateralToken)) - collateralBefore, compensation)
  const nothing = await client(['claim'])
  assert.is.not(nothing.code, 0)
  assert.match(nothing.stderr + nothing.stdout, 'nothing of')
  const after = await client(['job', 'status', dealId])
  assert.is(after.json().chain.status, 'Liquidated')
  // Exactly one keeper won; the loser counted a lost race and is still running.
  assert.is(logs.length, 1)
  await new Promise((resolve) => setTimeout(resolve, 500))
  assert.is(keeper.child.exitCode, null, keeper.output().slice(-300))
  assert.is(rival.child.exitCode, null, rival.output().slice(-300))
})

// With no keeper running, the client liquidates its own deal: refused before the deadline, refunded after it.
test('job cancel: a client liquidates its own deal once the silent provider has missed the deadline, and not before', async () => {
  await Promise.all([keeper.stop(), rival.stop()])
  // The test before moved the clock past the vesting, so the feed's last price is stale: a provider started now
  // says why it sells nothing, rather than asking for a deposit it has made.
  const stale = await startProvider(bootstrap.replace(/\/p2p\/.*$/, ''))
  assert.is(stale.info.canBack, '0')
  assert.is(stale.info.idle, 'stale-price', stale.process.output().slice(-800))
  await stale.process.stop()
  const owner = market.accounts[0]!
  const [, answer] = await owner.public.readContract({ address: market.deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'latestRoundData' })
  await owner.public.waitForTransactionReceipt({ hash: await owner.wallet.writeContract({ address: market.deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [answer] } as never) })
  ;({ process: provider } = await startProvider(bootstrap.replace(/\/p2p\/.*$/, '')))
  const submitted = await client(['job', 'submit', join(examples, 'spin'), '--no-wait', '--max-price', '0.5'])
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId } = submitted.json()
  provider.child.kill('SIGSTOP')
  const { price, collateral } = (await client(['job', 'status', dealId])).json()
  const onChain = async () => (await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId })).statusName

  const early = await client(['job', 'cancel', dealId])
  assert.is(early.code, 1, early.stderr + early.stdout)
  assert.match(early.stderr + early.stdout, 'DeadlineAheadError')
  assert.match(early.stderr + early.stdout, 'is not past its deadline yet')
  assert.is(await onChain(), 'Open')

  await increaseTime(market.accounts[0]!, 60 + 120 + 5)
  const before = await balance(market.deployment.paymentToken)
  const cancelled = await client(['job', 'cancel', dealId])
  assert.is(cancelled.code, 0, cancelled.stderr + cancelled.stdout)
  const shown = cancelled.json()
  assert.is(shown.refunded, price)
  assert.is(shown.compensation, collateral)
  assert.ok(Number(shown.claimableFrom) > 0, 'says from when the compensation is claimable')
  assert.is(await onChain(), 'Liquidated')
  const status = await client(['job', 'status', dealId])
  assert.is(status.json().state, 'refunded')
  assert.is(status.json().outcome.refund, price)
  // Credited, not sent: the refund is claimable at once.
  assert.is(await balance(market.deployment.paymentToken), before)
  const claimed = await client(['claim'])
  assert.is(claimed.code, 0, claimed.stderr + claimed.stdout)
  assert.is((await balance(market.deployment.paymentToken)) - before, BigInt(price))

  const again = await client(['job', 'cancel', dealId])
  assert.is(again.code, 2, again.stderr + again.stdout)
  assert.match(again.stderr + again.stdout, 'already liquidated')
  provider.child.kill('SIGCONT')
})

test.run()
