import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
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
const keys = { provider: devPrivateKeys[1], client: devPrivateKeys[4], keeper: devPrivateKeys[5] }
const env = (extra: Record<string, string> = {}) => ({ ALLOT_DEPLOYMENT: chainInfo.deploymentPath, ...extra })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

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
  const { process: provider, bootstrap } = await startProvider('provider-silent')
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
  const deadline = Date.now() + 60_000
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

test.run()
