import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { generatePrivateKey, privateKeyToAccount } from 'viem/accounts'
import { allotMarketAbi, mockERC20Abi } from '../../contracts/abi/index.ts'
import { depositPayment } from '../../node/chain/actions/depositPayment.ts'
import { getDeal } from '../../node/chain/actions/readMarket.ts'
import { createChainClients, devPrivateKeys } from '../../node/chain/clients.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from '../helpers/cli.ts'

// The journeys off the happy path, as a user walks them: every party is a separate
// `allot` process on a `chain dev` chain (1 s blocks, no clock tricks), over TCP.
let root: string
let chain: AllotProcess
let chainInfo: { rpcUrl: string; deploymentPath: string; deployment: { market: Hex } }
const processes: AllotProcess[] = []
const examples = join(import.meta.dirname, '..', '..', 'examples')
const sumJob = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'sum')
const keys = { provider: devPrivateKeys[1], client: devPrivateKeys[4], keeper: devPrivateKeys[5] }
const env = (extra: Record<string, string> = {}) => ({ ALLOT_DEPLOYMENT: chainInfo.deploymentPath, ...extra })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

async function waitFor(condition: () => boolean | Promise<boolean>, ms: number, describe: () => string) {
  const until = Date.now() + ms
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out: ${describe().slice(-800)}`)
    await sleep(200)
  }
}

function spawn(args: string[], extra: Record<string, string>) {
  const process = spawnAllot(args, env(extra))
  processes.push(process)
  return process
}

async function dealStatus(dealId: Hex) {
  const clients = createChainClients({ rpcUrl: chainInfo.rpcUrl, account: privateKeyToAccount(keys.client) })
  return (await getDeal(clients, { deployment: chainInfo.deployment, dealId })).statusName
}

/** A job that runs far longer than its deal allows, so only a provider that goes silent leaves it unfinished. */
async function slowJob(wallSeconds: number) {
  const folder = join(root, `slow-${wallSeconds}`)
  await cp(join(examples, 'spin'), folder, { recursive: true })
  const manifest = JSON.parse(await readFile(join(folder, 'allot.job.json'), 'utf8'))
  await writeFile(join(folder, 'allot.job.json'), JSON.stringify({ ...manifest, args: [String(wallSeconds * 10)], limits: { ...manifest.limits, wallSeconds, cpuSeconds: wallSeconds } }))
  return folder
}

async function startProvider(name: string, extra: string[] = []) {
  const home = join(root, name)
  const deposit = await runCli(['stake', 'deposit', '100', '--json', '--home', home], { env: env({ ALLOT_PRIVATE_KEY: keys.provider }) })
  assert.is(deposit.code, 0, deposit.stdout + deposit.stderr)
  const process = spawn(['provider', 'start', '--home', home, '--cpu', '2000', '--memory', '2048', '--disk', '1024', '--deadline-slack', '8', ...extra], { ALLOT_PRIVATE_KEY: keys.provider })
  const info = await process.ready
  return { process, bootstrap: info.addresses[0] as string }
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-journeys-'))
  chain = spawnAllot(['chain', 'dev', '--port', '0', '--home', join(root, 'chain')])
  processes.push(chain)
  chainInfo = await chain.ready
})

test.after(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await rm(root, { recursive: true, force: true })
})

test('journey 1: a silent provider is liquidated by `keeper start` on a `chain dev` chain with no other traffic, and `job status` shows the refund', async () => {
  // The market's shortest deal is a minute: a 3 s job with 70 s of slack.
  const { process: provider, bootstrap } = await startProvider('provider-silent', ['--deadline-slack', '70'])
  const keeper = spawn(['keeper', 'start', '--home', join(root, 'keeper')], { ALLOT_PRIVATE_KEY: keys.keeper })
  await waitFor(() => keeper.output().includes('started'), 30_000, () => keeper.output())
  const clientEnv = env({ ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: keys.client, ALLOT_BOOTSTRAP: bootstrap })
  const submitted = await runCli(['job', 'submit', await slowJob(3), '--no-wait', '--max-price', '0.5', '--json'], { env: clientEnv })
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId } = submitted.json()
  // The provider goes silent: alive, connected, but never commits.
  provider.child.kill('SIGSTOP')
  const before = await runCli(['job', 'status', dealId, '--json'], { env: clientEnv })
  assert.is(before.json().chain.status, 'Open')
  const deadline = Date.now() + 150_000
  while ((await dealStatus(dealId)) !== 'Liquidated' && Date.now() < deadline) await sleep(250)
  assert.is(await dealStatus(dealId), 'Liquidated', `not liquidated; keeper said: ${keeper.output().slice(-800)}`)
  const after = await runCli(['job', 'status', dealId, '--json'], { env: clientEnv })
  const shown = after.json()
  assert.is(shown.chain.status, 'Liquidated')
  assert.is(shown.outcome.refund, shown.price)
  assert.is(shown.outcome.compensation, shown.collateral)
  const human = await runCli(['job', 'status', dealId], { env: clientEnv })
  assert.match(human.stdout, /refunded\s+0\.\d+ tUSD \+ 0\.\d+ tUSD of compensation/)
  provider.child.kill('SIGCONT')
  await provider.stop()
})

test('journey 1: `chain dev` refuses to overwrite a running chain’s deployment file, and exits non-zero with the cause when anvil dies', async () => {
  const second = await runCli(['chain', 'dev', '--port', '0', '--json', '--home', join(root, 'chain')])
  assert.is(second.code, 1)
  assert.is(second.json().error.name, 'ChainRunningError')
  assert.match(second.json().error.hint, '--force')
  const other = spawnAllot(['chain', 'dev', '--port', '0', '--home', join(root, 'doomed')])
  await other.ready
  const anvilPid = Number((await import('node:child_process')).execFileSync('pgrep', ['-P', String(other.child.pid), 'anvil']).toString().trim().split('\n')[0])
  process.kill(anvilPid, 'SIGKILL')
  const code = await new Promise<number | null>((resolve) => other.child.once('exit', resolve))
  assert.is(code, 1)
  assert.match(other.output(), 'AnvilExitedError')
})

test('journey 2: anvil restarted under a running provider and keeper: the provider stops signing and says so, both recover, and the next deal settles', async () => {
  const port = await freePort()
  const home = join(root, 'chain-restarted')
  const deploymentPath = join(home, 'deployment.json')
  const startChain = async () => {
    const chain = spawnAllot(['chain', 'dev', '--port', String(port), '--home', home])
    processes.push(chain)
    await chain.ready
    return chain
  }
  let chain = await startChain()
  const onThisChain = (extra: Record<string, string>) => ({ ALLOT_DEPLOYMENT: deploymentPath, ...extra })
  const stake = async () => {
    const deposit = await runCli(['stake', 'deposit', '100', '--json', '--home', join(root, 'provider-restarted')], { env: onThisChain({ ALLOT_PRIVATE_KEY: keys.provider }) })
    assert.is(deposit.code, 0, `stake deposit: ${deposit.stdout}${deposit.stderr}`)
  }
  await stake()
  const provider = spawnAllot(['provider', 'start', '--home', join(root, 'provider-restarted'), '--cpu', '2000', '--memory', '2048', '--disk', '1024'], onThisChain({ ALLOT_PRIVATE_KEY: keys.provider }))
  processes.push(provider)
  const bootstrap = (await provider.ready).addresses[0] as string
  const keeper = spawnAllot(['keeper', 'start', '--home', join(root, 'keeper-restarted')], onThisChain({ ALLOT_PRIVATE_KEY: keys.keeper }))
  processes.push(keeper)
  await waitFor(() => keeper.output().includes('started'), 30_000, () => keeper.output())

  await chain.stop()
  // The provider says so on its terminal, without DEBUG, within seconds.
  await waitFor(() => provider.output().includes('stopped signing deals'), 15_000, () => provider.output())
  await waitFor(() => keeper.output().includes('chain changed'), 15_000, () => keeper.output())
  chain = await startChain()
  await waitFor(() => provider.output().includes('chain back'), 30_000, () => provider.output())
  await waitFor(() => /chain back.*history changed/.test(keeper.output()), 30_000, () => keeper.output())
  assert.match(provider.output(), /chain back.*history changed/)
  // The fresh chain has none of the old stakes: the provider stakes again, and the market works as before.
  await stake()
  const clientEnv = onThisChain({ ALLOT_HOME: join(root, 'client-restarted'), ALLOT_PRIVATE_KEY: keys.client, ALLOT_BOOTSTRAP: bootstrap })
  const result = await runCli(['job', 'submit', sumJob, '--max-price', '0.5', '--json'], { env: clientEnv })
  assert.is(result.code, 0, `job submit: ${result.stdout}${result.stderr}${provider.output().slice(-1500)}`)
  assert.is(result.json().state, 'settled')
  assert.not.match(keeper.output(), 'liquidated')
  assert.is(provider.child.exitCode, null)
  assert.is(keeper.child.exitCode, null)
  await Promise.all([provider.stop(), keeper.stop(), chain.stop()])
})

test('journey 3: `job submit` killed right after sending openDeal; `job status` and `job result` (no --bootstrap) finish the paid deal', async () => {
  const { process: provider, bootstrap } = await startProvider('provider-kill', ['--deadline-slack', '60'])
  const home = join(root, 'client-killed')
  const submit = spawn(['job', 'submit', sumJob, '--max-price', '0.5', '--home', home, '--bootstrap', bootstrap], { ALLOT_PRIVATE_KEY: keys.client })
  await waitFor(() => submit.output().includes('opening deal'), 60_000, () => submit.output())
  submit.child.kill('SIGKILL')
  await new Promise((resolve) => submit.child.once('exit', resolve))
  const clientEnv = env({ ALLOT_HOME: home, ALLOT_PRIVATE_KEY: keys.client })
  const [remembered] = (await runCli(['job', 'list', '--json'], { env: clientEnv })).json()
  assert.ok(remembered, 'the deal was forgotten')
  const status = await runCli(['job', 'status', remembered.dealId, '--json'], { env: clientEnv })
  assert.is(status.code, 0, status.stdout + status.stderr)
  assert.ok(['Open', 'Committed'].includes(status.json().chain.status), status.stdout)
  assert.ok(status.json().txs.openDeal, 'the openDeal transaction was not remembered')
  const result = await runCli(['job', 'result', remembered.dealId, '--json'], { env: clientEnv })
  assert.is(result.code, 0, result.stdout + result.stderr)
  assert.is(result.json().state, 'settled')
  assert.is(await readFile(join(result.json().resultDir, 'stdout'), 'utf8'), 'sum=155\n')
  const logs = await runCli(['job', 'logs', remembered.dealId, '-f', '--tail', '1'], { env: clientEnv })
  assert.is(logs.code, 0, logs.stderr)
  assert.is(logs.stdout.trim(), 'sum=155')

  // A job that fails: the market did its part, but `job submit` exits non-zero with the job's exit code.
  const failing = join(root, 'failing-job')
  await mkdir(failing, { recursive: true })
  await cp(join(import.meta.dirname, '..', 'runtime', 'fixtures', 'hostile.wasm'), join(failing, 'hostile.wasm'))
  await writeFile(join(failing, 'allot.job.json'), JSON.stringify({ version: 1, runtime: 'wasm', entry: 'hostile.wasm', args: ['exit', '3'], limits: { wallSeconds: 30, cpuSeconds: 30, memoryMiB: 64, outputMiB: 1 }, resources: { cpuMillicores: 1000, memoryMiB: 128, diskMiB: 16 } }))
  const failed = await runCli(['job', 'submit', failing, '--max-price', '0.5', '--bootstrap', bootstrap], { env: clientEnv })
  assert.is(failed.code, 1, failed.stdout + failed.stderr)
  assert.match(failed.stderr, /error: The job of deal 0x[0-9a-f]{64} exited with code 3/)
  await provider.stop()
})

test('journey 5: an unfunded client is refused before negotiating, with what is missing and what to do; credit in the market pays instead of the wallet', async () => {
  // The market's shortest deal is a minute: the credit-paid job needs the slack.
  const { process: provider, bootstrap } = await startProvider('provider-poor', ['--deadline-slack', '70'])
  const poorKey = generatePrivateKey()
  const home = join(root, 'client-poor')
  const clients = createChainClients({ rpcUrl: chainInfo.rpcUrl, account: privateKeyToAccount(keys.client) })
  const clientEnv = env({ ALLOT_HOME: home, ALLOT_PRIVATE_KEY: poorKey, ALLOT_BOOTSTRAP: bootstrap })
  const noGas = await runCli(['job', 'submit', sumJob, '--max-price', '0.5', '--json'], { env: clientEnv })
  assert.is(noGas.code, 1)
  assert.is(noGas.json().error.name, 'ClientUnfundedError')
  assert.match(noGas.json().error.message, /coin.*gas/)
  await clients.public.request({ method: 'anvil_setBalance' as never, params: [privateKeyToAccount(poorKey).address, '0x56BC75E2D63100000'] as never })
  const noTokens = await runCli(['job', 'submit', sumJob, '--max-price', '0.5'], { env: clientEnv })
  assert.is(noTokens.code, 1)
  assert.match(noTokens.stderr, /error: Account 0x[0-9a-fA-F]{40} holds 0 tUSD, less than the 0\.5 tUSD this job may cost \(--max-price\)\./)
  assert.match(noTokens.stderr, /hint: Fund it with at least 0\.5 tUSD more, or lower --max-price/)
  assert.not.match(noTokens.stdout, 'negotiating')
  assert.equal((await runCli(['job', 'list', '--json'], { env: clientEnv })).json(), [])
  assert.not.match(provider.output(), 'proposal')

  // Credit in the market pays a deal whose whole price it covers: with an empty wallet and 0.5 tUSD of
  // credit, the same job is let through and paid from the credit.
  const deployment = JSON.parse(await readFile(chainInfo.deploymentPath, 'utf8')) as { market: Hex; paymentToken: Hex }
  const poor = createChainClients({ rpcUrl: chainInfo.rpcUrl, account: privateKeyToAccount(poorKey) })
  const half = 500_000n
  await clients.public.waitForTransactionReceipt({ hash: await clients.wallet.writeContract({ address: deployment.paymentToken, abi: mockERC20Abi, functionName: 'mint', args: [poor.wallet.account.address, half] }) })
  await depositPayment(poor, { deployment, amount: half })
  const credit = () => poor.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'claimable', args: [deployment.paymentToken, poor.wallet.account.address] })
  assert.is(await credit(), half)
  const paid = await runCli(['job', 'submit', sumJob, '--max-price', '0.5', '--json'], { env: clientEnv })
  assert.is(paid.code, 0, paid.stdout + paid.stderr)
  assert.is(paid.json().state, 'settled')
  assert.is(await credit(), half - BigInt(paid.json().price))
  assert.is(await poor.public.readContract({ address: deployment.paymentToken, abi: mockERC20Abi, functionName: 'balanceOf', args: [poor.wallet.account.address] }), 0n)
  await provider.stop()
})

test('journey 5: an entry that is not a wasm module is refused before paying', async () => {
  const folder = join(root, 'not-wasm')
  await cp(sumJob, folder, { recursive: true })
  await writeFile(join(folder, 'sum.wasm'), '#!/bin/sh\necho hi\n')
  const result = await runCli(['job', 'submit', folder, '--json'], { env: env({ ALLOT_HOME: join(root, 'client-notwasm'), ALLOT_PRIVATE_KEY: keys.client }) })
  assert.is(result.code, 1)
  assert.is(result.json().error.name, 'InvalidWasmEntryError')
  assert.match(result.json().error.hint, 'wasm32')
})

test.run()
