import { spawn } from 'node:child_process'
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { erc20Abi, formatUnits, parseEventLogs, parseUnits, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { getDeal, getParameters } from '../../node/chain/actions/readMarket.ts'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { devPrivateKeys } from '../../node/chain/clients.ts'
import type { DevMarket } from '../../node/chain/devMarket.ts'
import { increaseTime } from '../../node/chain/devTime.ts'
import { packageRoot } from '../../node/demo/packageRoot.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from '../helpers/cli.ts'
import { startE2eMarket } from '../helpers/e2eMarket.ts'
import { installFakeNvidiaSmi, type FakeNvidiaSmi } from '../helpers/fake-nvidia-smi.ts'

// The operator's and user's views of the market: a provider and a keeper run as separate
// `allot` processes over TCP; balance, status and list commands are run as a user would.
let market: DevMarket
let root: string
let env: Record<string, string>
let bootstrap: string
const processes: AllotProcess[] = []
const sumJob = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'sum')
const spinJob = join(import.meta.dirname, '..', '..', 'examples', 'spin')
let fakeGpus: FakeNvidiaSmi
let providerProcess: AllotProcess
let keeperProcess: AllotProcess
const providerOutput = { stdout: '', stderr: '' }
const keeperOutput = { stdout: '', stderr: '' }
const keeperKey = devPrivateKeys[5]
/** Deals the tests made, by what became of them. */
const deals: { settled?: Hex; liquidated?: Hex } = {}
// A fresh account: viem's nonce manager remembers, per process, the nonces of accounts that other
// suites used on their own chains (same chain id), and would number this client's transactions past them.
const clientKey = generatePrivateKey()
const clientAddress = privateKeyToAccount(clientKey).address
const providerKey = devPrivateKeys[1]
const providerHome = () => join(root, 'provider')
const providerAddress = privateKeyToAccount(providerKey).address

const providerStatus = async (home = providerHome()) => {
  const result = await runCli(['provider', 'status', '--json'], { env: { ...env, ALLOT_HOME: home } })
  assert.is(result.code, 0, result.stderr + result.stdout)
  return result.json()
}
/** Polls `provider status` until `check` holds (the provider follows the chain every 100 ms). */
const providerStatusWhen = async (check: (status: any) => boolean, what: string) => {
  const deadline = Date.now() + 30_000
  let status = await providerStatus()
  while (!check(status)) {
    if (Date.now() > deadline) assert.unreachable(`provider status never showed ${what}: ${JSON.stringify(status.jobs)} ${JSON.stringify(status.earnings)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
    status = await providerStatus()
  }
  return status
}
const settledPayouts = async () => {
  const logs = await market.accounts[0]!.public.getContractEvents({ address: market.deployment.market, abi: allotMarketAbi, eventName: 'DealSettled', args: { provider: providerAddress }, fromBlock: 0n })
  return parseEventLogs({ abi: allotMarketAbi, eventName: 'DealSettled', logs }).reduce((sum, log) => sum + log.args.providerAmount, 0n)
}

const tokenBalance = (token: Hex, account: Hex) => market.accounts[0]!.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })
const client = (argv: string[], extra: Record<string, string> = {}) => runCli(argv, { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey, ALLOT_BOOTSTRAP: bootstrap, ...extra } })

test.before(async () => {
  ;({ market, root, env } = await startE2eMarket({ prefix: 'allot-operator-' }))
  const owner = market.accounts[0]!
  await owner.public.request({ method: 'anvil_setBalance' as never, params: [clientAddress, '0x56BC75E2D63100000'] as never })
  const funding = await owner.wallet.writeContract({ address: market.deployment.paymentToken, abi: erc20Abi, functionName: 'transfer', args: [clientAddress, parseUnits('1000', 6)] })
  await owner.public.waitForTransactionReceipt({ hash: funding })
  // One (stand-in) H100, so the status lists a GPU.
  fakeGpus = await installFakeNvidiaSmi()
  const provider = spawnAllot(['provider', 'start', '--home', providerHome(), '--cpu', '2000', '--memory', '2048', '--disk', '1024'], { ...env, ...fakeGpus.env('h100'), ALLOT_PRIVATE_KEY: providerKey })
  processes.push(provider)
  providerProcess = provider
  keeperProcess = spawnAllot(['keeper', 'start', '--home', join(root, 'keeper'), '--polling-interval', '200'], { ...env, ALLOT_PRIVATE_KEY: keeperKey })
  processes.push(keeperProcess)
  for (const [process, streams] of [[provider, providerOutput], [keeperProcess, keeperOutput]] as const) {
    process.child.stdout!.on('data', (chunk) => (streams.stdout += chunk))
    process.child.stderr!.on('data', (chunk) => (streams.stderr += chunk))
  }
  bootstrap = (await provider.ready).addresses[0]
  // The keeper prints its JSON document when it stops; its start is a line on stderr.
  await outputWhen(() => keeperOutput.stderr, / started +keeper /, 'the keeper')
})

test.after(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await market?.stop()
  await fakeGpus?.remove()
  await rm(root, { recursive: true, force: true })
})

test('balance shows gas, both tokens and the allowances, as the chain holds them', async () => {
  const { paymentToken, collateralToken } = market.deployment
  const json = await client(['balance', '--json'])
  assert.is(json.code, 0, json.stderr + json.stdout)
  const printed = json.json()
  assert.is(printed.account, clientAddress)
  assert.is(BigInt(printed.gas.balance), await market.accounts[0]!.public.getBalance({ address: clientAddress }))
  assert.is(BigInt(printed.payment.balance), await tokenBalance(paymentToken, clientAddress))
  assert.is(BigInt(printed.collateral.balance), await tokenBalance(collateralToken, clientAddress))
  assert.is(printed.payment.symbol, 'tUSD')
  assert.is(printed.collateral.symbol, 'ALS')
  assert.is(printed.payment.allowance, '0')

  // The provider approved the collateral token for good when it staked.
  const human = await runCli(['balance'], { env: { ...env, ALLOT_HOME: providerHome(), ALLOT_PRIVATE_KEY: providerKey } })
  assert.is(human.code, 0, human.stderr)
  const held = await tokenBalance(collateralToken, privateKeyToAccount(providerKey).address)
  assert.match(human.stdout, `collateral  ${formatUnits(held, 18)} ALS`)
  assert.match(human.stdout, 'approved to the market: unlimited')
  assert.match(human.stdout, /gas {9}\d+(\.\d+)? ETH/)
  assert.match(human.stdout, /payment {5}1000000 tUSD/)
})

test('provider status shows the running provider over its loopback endpoint, and its jobs and earnings match the chain', async () => {
  const control = JSON.parse(await readFile(join(providerHome(), 'control.json'), 'utf8'))
  assert.match(control.url, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.is((await stat(join(providerHome(), 'control.json'))).mode & 0o777, 0o600)
  const { protocolFeeBps } = await getParameters(market.accounts[0]!, { deployment: market.deployment })

  const idle = await providerStatus()
  assert.is(idle.address, providerAddress)
  assert.is(idle.position.collateral, parseUnits('100', 18).toString())
  assert.is(idle.position.obligations, '0')
  assert.equal(idle.runtimes, ['wasm'])
  assert.is(idle.gpus.length, 1)
  assert.is(idle.gpus[0].heldBy, null)
  assert.is(idle.ask.capacity.cpuMillicores, 2000)
  assert.is(idle.ask.utilization, '0')
  assert.equal(idle.earnings, { pending: '0', settled: '0', credited: '0', withdrawFee: '0' })
  assert.is(idle.tokens.payment.symbol, 'tUSD')

  // A job run to the end: done, and paid exactly what the chain paid.
  const submitted = await client(['job', 'submit', sumJob, '--max-price', '0.5', '--json'])
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  deals.settled = submitted.json().dealId
  const paid = await settledPayouts()
  assert.ok(paid > 0n)
  const settled = await providerStatusWhen((s) => s.jobs.done === 1 && s.earnings.settled !== '0', 'one settled job')
  assert.is(BigInt(settled.earnings.settled), paid)
  assert.is(settled.jobs.failed, 0)

  // A job left unsettled: running while it spins, then pending at its price less the fee.
  const spin = await client(['job', 'submit', spinJob, '--no-wait', '--max-price', '0.5', '--json'])
  assert.is(spin.code, 0, spin.stderr + spin.stdout)
  const { dealId } = spin.json()
  const running = await providerStatusWhen((s) => s.jobs.running === 1, 'a running job')
  assert.ok(BigInt(running.ask.utilization) > 0n, 'the ask shows the reserved CPU')
  assert.ok(BigInt(running.position.obligations) > 0n)
  const price = BigInt((await client(['job', 'status', dealId, '--json'])).json().price)
  const committed = await providerStatusWhen((s) => s.jobs.done === 2, 'a committed job')
  assert.is(BigInt(committed.earnings.pending), price - (price * BigInt(protocolFeeBps)) / 10_000n)
  assert.is(BigInt(committed.earnings.settled), paid)

  const result = await client(['job', 'result', dealId, '--json'])
  assert.is(result.code, 0, result.stderr + result.stdout)
  const all = await providerStatusWhen((s) => s.earnings.pending === '0', 'the second job settled')
  assert.is(BigInt(all.earnings.settled), await settledPayouts())
  // Settlement credits the provider (pull, not push): the market holds its earnings until it withdraws them.
  const held = await market.accounts[0]!.public.readContract({ address: market.deployment.market, abi: allotMarketAbi, functionName: 'position', args: [all.address] })
  assert.is(BigInt(all.earnings.credited), held.earnings)
  assert.ok(held.earnings > 0n)

  const human = await runCli(['provider', 'status'], { env: { ...env, ALLOT_HOME: providerHome() } })
  assert.is(human.code, 0, human.stderr)
  assert.match(human.stdout, 'collateral        100 ALS (worth 200 tUSD)')
  assert.match(human.stdout, 'jobs              0 running, 2 done, 0 failed')
  assert.match(human.stdout, `earnings          ${formatUnits(await settledPayouts(), 6)} tUSD settled, 0 tUSD pending`)
  assert.match(human.stdout, /0 nvidia-h100-80gb \(GPU-[0-9a-f-]+\): free/)
})

test('provider status says so when no provider runs in the home, or the token is not the provider’s', async () => {
  const empty = join(root, 'nobody')
  await mkdir(empty, { recursive: true })
  const none = await runCli(['provider', 'status'], { env: { ...env, ALLOT_HOME: empty } })
  assert.is(none.code, 1)
  assert.match(none.stderr, `error: No provider is running in ${empty}`)
  assert.match(none.stderr, 'hint: Start one with `allot provider start')

  // A control file whose token the running provider never issued.
  const forged = join(root, 'forged')
  await mkdir(forged, { recursive: true })
  const control = JSON.parse(await readFile(join(providerHome(), 'control.json'), 'utf8'))
  await writeFile(join(forged, 'control.json'), JSON.stringify({ ...control, token: 'ab'.repeat(32) }), { mode: 0o600 })
  const refused = await runCli(['provider', 'status', '--json'], { env: { ...env, ALLOT_HOME: forged } })
  assert.is(refused.code, 1)
  assert.is(refused.json().error.name, 'ControlTokenRejectedError')
  assert.match(refused.json().error.hint, 'restart')

  // A control file left by a provider that was killed.
  await writeFile(join(forged, 'control.json'), JSON.stringify({ ...control, pid: 2 ** 22 + 1 }), { mode: 0o600 })
  const gone = await runCli(['provider', 'status', '--json'], { env: { ...env, ALLOT_HOME: forged } })
  assert.is(gone.json().error.name, 'ProviderNotRunningError')
  assert.match(gone.json().error.message, 'has exited')
})

/** Waits until `output()` matches, or fails naming what was missing. */
const outputWhen = async (output: () => string, pattern: RegExp, what: string) => {
  const deadline = Date.now() + 30_000
  while (!pattern.test(output())) {
    if (Date.now() > deadline) assert.unreachable(`${what} never printed ${pattern}: ${output().slice(-1500)}`)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}
const lineFor = (step: string, dealId: Hex) => new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${step} +deal ${dealId.slice(0, 10)}…`, 'm')

test('the provider and the keeper print one line per deal event on their terminals, and keep stdout to one JSON document', async () => {
  const dealId = deals.settled!
  for (const step of ['negotiated', 'opened', 'running', 'committed', 'settled']) await outputWhen(() => providerOutput.stderr, lineFor(step, dealId), `the provider (${step})`)
  assert.match(providerOutput.stderr, new RegExp(`settled +deal ${dealId.slice(0, 10)}…: paid \\d+(\\.\\d+)? tUSD`))
  for (const step of ['opened', 'committed', 'settled']) await outputWhen(() => keeperOutput.stderr, lineFor(step, dealId), `the keeper (${step})`)
  // Under --json the event lines go to stderr: the provider's stdout holds its start document alone,
  // the keeper's nothing until it stops and prints its summary.
  const lines = providerOutput.stdout.split('\n').filter(Boolean)
  assert.is(lines.length, 1, providerOutput.stdout)
  assert.is(JSON.parse(lines[0]!).address, providerAddress)
  assert.is(keeperOutput.stdout, '')

  // A provider that stops answering mid-job is liquidated: both terminals say so.
  const spin = await client(['job', 'submit', spinJob, '--no-wait', '--max-price', '0.5', '--json'])
  assert.is(spin.code, 0, spin.stderr + spin.stdout)
  const liquidated: Hex = spin.json().dealId
  deals.liquidated = liquidated
  await outputWhen(() => providerOutput.stderr, lineFor('running', liquidated), 'the provider (running)')
  providerProcess.child.kill('SIGSTOP')
  try {
    await increaseTime(market.accounts[0]!, 60 + 120 + 5)
    await outputWhen(() => keeperOutput.stderr, new RegExp(`liquidated +deal ${liquidated.slice(0, 10)}… \\(deadline\\)`), 'the keeper (its liquidation)')
    assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: liquidated })).statusName, 'Liquidated')
  } finally {
    providerProcess.child.kill('SIGCONT')
  }
  await outputWhen(() => providerOutput.stderr, lineFor('liquidated', liquidated), 'the provider (liquidated)')
  assert.match(providerOutput.stderr, /client refunded \d+(\.\d+)? tUSD and compensated \d+(\.\d+)? tUSD from your position/)
  const afterLiquidation = await providerStatusWhen((s) => s.jobs.failed === 1, 'the liquidated job as failed')
  assert.is(afterLiquidation.jobs.running, 0)
  assert.is(afterLiquidation.jobs.done, 2)
})

test('job list shows a header and each deal’s state on chain, filtered by --state and --limit', async () => {
  const liquidated = deals.liquidated!
  const human = await client(['job', 'list'])
  assert.is(human.code, 0, human.stderr)
  const [header, ...rows] = human.stdout.trimEnd().split('\n')
  assert.match(header!, /^DEAL +STATE +EXIT +PRICE +PROVIDER +OPENED$/)
  assert.is(rows.length, 3)
  // Newest first: the liquidated deal, which this home last saw as opened, shows as liquidated.
  assert.match(rows[0]!, new RegExp(`^${liquidated.slice(0, 14)} +liquidated `))
  assert.not.match(human.stdout, /opened/)
  assert.match(rows[2]!, new RegExp(`^${deals.settled!.slice(0, 14)} +settled +0 +\\d+(\\.\\d+)? tUSD`))

  const all = (await client(['job', 'list', '--json'])).json()
  for (const deal of all) assert.is(deal.stateOnChain, (await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: deal.dealId })).statusName.toLowerCase())
  const onlyLiquidated = (await client(['job', 'list', '--state', 'liquidated', '--json'])).json()
  assert.equal(onlyLiquidated.map((deal: { dealId: string }) => deal.dealId), [liquidated])
  assert.is((await client(['job', 'list', '--state', 'settled', '--json'])).json().length, 2)
  assert.is((await client(['job', 'list', '--state', 'open'])).stdout.trim(), 'no deals in state open')
  const newest = (await client(['job', 'list', '--limit', '1', '--json'])).json()
  assert.equal(newest.map((deal: { dealId: string }) => deal.dealId), [liquidated])

  const bad = await client(['job', 'list', '--state', 'opened'])
  assert.is(bad.code, 2)
  assert.match(bad.stderr, '--state takes open, overdue, committed')
})

/** Runs `allot` as its own process with `answer` on stdin, as a person at a prompt would type it. */
const answering = (argv: string[], answer: string, extra: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [join(packageRoot(), 'cli', 'bin.js'), ...argv], {
      env: { ...process.env, ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey, NO_COLOR: '1', ...extra },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk) => (stdout += chunk))
    child.stderr.on('data', (chunk) => {
      stderr += chunk
      if (stderr.includes('[y/N]')) child.stdin.end(answer)
    })
    child.once('exit', (code) => resolve({ code, stdout, stderr }))
  })

test('job dispute shows the bond, asks before posting it, and refuses what the market would refuse', async () => {
  const submitted = await client(['job', 'submit', sumJob, '--max-price', '0.5', '--no-settle', '--json'])
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId, price } = submitted.json()
  const { disputeBondBps, challengeWindow } = await getParameters(market.accounts[0]!, { deployment: market.deployment })
  const bond = (BigInt(price) * BigInt(disputeBondBps) + 9_999n) / 10_000n
  const shownBond = `dispute bond  ${formatUnits(bond, 6)} tUSD`

  // Someone else's deal, by its full id: found on chain, refused before anything is sent.
  const stranger = await client(['job', 'dispute', dealId, '--yes', '--json'], { ALLOT_PRIVATE_KEY: devPrivateKeys[6], ALLOT_HOME: join(root, 'stranger') })
  assert.is(stranger.code, 1)
  assert.is(stranger.json().error.name, 'NotYourDealError')

  // No: nothing happens on chain.
  const declined = await answering(['job', 'dispute', dealId.slice(0, 12)], 'n\n')
  assert.is(declined.code, 1)
  assert.match(declined.stdout, shownBond)
  assert.match(declined.stderr, 'error: Deal')
  assert.match(declined.stderr, 'was not disputed')
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId })).statusName, 'Committed')

  // Yes: the bond moves into the market, exactly as shown.
  const before = await tokenBalance(market.deployment.paymentToken, clientAddress)
  const accepted = await answering(['job', 'dispute', dealId.slice(0, 12)], 'y\n')
  assert.is(accepted.code, 0, accepted.stderr)
  assert.match(accepted.stdout, shownBond)
  assert.match(accepted.stdout, `disputed ${dealId}: ${formatUnits(bond, 6)} tUSD bond posted`)
  const state = await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId })
  assert.is(state.statusName, 'Disputed')
  assert.is(state.time > 0, true, 'the dispute is dated')
  assert.is(before - (await tokenBalance(market.deployment.paymentToken, clientAddress)), bond)
  await outputWhen(() => providerOutput.stderr, lineFor('disputed', dealId), 'the provider (disputed)')

  const again = await client(['job', 'dispute', dealId, '--yes', '--json'])
  assert.is(again.json().error.name, 'DealNotDisputableError')
  assert.match(again.json().error.message, 'already disputed')
  const settled = await client(['job', 'dispute', deals.settled!, '--yes', '--json'])
  assert.match(settled.json().error.message, 'it is settled')

  // Past the challenge window.
  const late = await client(['job', 'submit', sumJob, '--max-price', '0.5', '--no-settle', '--json'])
  assert.is(late.code, 0, late.stderr + late.stdout)
  await increaseTime(market.accounts[0]!, challengeWindow + 1)
  const closed = await client(['job', 'dispute', late.json().dealId, '--yes'])
  assert.is(closed.code, 1)
  assert.match(closed.stderr, 'challenge window of deal')
  assert.match(closed.stderr, 'hint: Anyone may now settle it')
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: late.json().dealId })).statusName, 'Committed')
})

test('keeper status shows what the keeper liquidated, its bonus and gas, its cursor and the head, running or stopped', async () => {
  const keeperHome = join(root, 'keeper')
  const keeperAddress = privateKeyToAccount(keeperKey).address
  const status = (home = keeperHome, extra: Record<string, string> = {}) => runCli(['keeper', 'status', '--json'], { env: { ...env, ALLOT_HOME: home, ...extra } })
  const logs = await market.accounts[0]!.public.getContractEvents({ address: market.deployment.market, abi: allotMarketAbi, eventName: 'DealLiquidated', args: { keeper: keeperAddress }, fromBlock: 0n })
  const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealLiquidated', logs })
  assert.is(event!.args.dealId, deals.liquidated)

  const running = await status()
  assert.is(running.code, 0, running.stderr + running.stdout)
  const shown = running.json()
  assert.is(shown.keeper, keeperAddress)
  assert.is(shown.running, true)
  assert.is(shown.deals.length, 1)
  assert.is(shown.deals[0].dealId, deals.liquidated)
  assert.is(shown.deals[0].provider, providerAddress)
  assert.is(shown.deals[0].keeperBonus, event!.args.keeperBonus.toString())
  assert.is(shown.bonuses, event!.args.keeperBonus.toString())
  const receipt = await market.accounts[0]!.public.getTransactionReceipt({ hash: event!.transactionHash })
  assert.is(shown.gasCost, (receipt.gasUsed * receipt.effectiveGasPrice).toString())
  const head = await market.accounts[0]!.public.getBlockNumber()
  assert.ok(BigInt(shown.cursor) >= event!.blockNumber && BigInt(shown.cursor) <= head, `cursor ${shown.cursor}, head ${head}`)

  const human = await runCli(['keeper', 'status'], { env: { ...env, ALLOT_HOME: keeperHome } })
  assert.match(human.stdout, `(running, pid ${keeperProcess.child.pid})`)
  assert.match(human.stdout, 'liquidated    1 deals, 0 positions')
  assert.match(human.stdout, new RegExp(`deal ${deals.liquidated!.slice(0, 10)}… of ${providerAddress.slice(0, 10)}… in block ${event!.blockNumber}: bonus ${formatUnits(event!.args.keeperBonus, 6)} tUSD`))

  // Stopped: the same history, and the cursor read from its own database.
  await keeperProcess.stop()
  const stopped = (await status()).json()
  assert.is(stopped.running, false)
  assert.is(stopped.cursor, JSON.parse(await readFile(join(keeperHome, 'keeper.json'), 'utf8')).cursor.block)
  assert.is(stopped.bonuses, shown.bonuses)

  const nobody = await status(join(root, 'no-keeper'))
  assert.is(nobody.code, 1)
  assert.is(nobody.json().error.name, 'KeeperNeverRanError')
})

test.run()
