import { request } from 'node:http'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { getDeal } from '../../node/chain/actions/readMarket.ts'
import { increaseTime } from '../../node/chain/devTime.ts'
import type { AllotProcess } from '../../node/demo/spawnAllot.ts'
import { privateKeyToAccount } from 'viem/accounts'
import { startNode } from '../../node/daemon/startNode.ts'
import { runCli } from '../helpers/cli.ts'
import { clientKey, keeperKey, sample, startObservedMarket, type ObservedMarket } from '../helpers/observedMarket.ts'

// A provider and a keeper run as separate `allot` processes with --metrics; the test
// scrapes them over HTTP, as Prometheus would, before and after a job and a liquidation.
let observed: ObservedMarket
let provider: AllotProcess
let providerUrl: string
let keeper: AllotProcess
let keeperUrl: string
let bootstrap: string
const sumJob = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'sum')
const spinJob = join(import.meta.dirname, '..', '..', 'examples', 'spin')
const scrape = async (url: string) => {
  const response = await fetch(url)
  assert.is(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', 'text/plain')
  return response.text()
}
// Series that follow the chain appear once the follower has polled; a loaded machine takes a while.
async function scrapeUntil(url: string, ready: (text: string) => boolean, timeoutMs = 20_000): Promise<string> {
  let text = await scrape(url)
  for (const deadline = Date.now() + timeoutMs; !ready(text) && Date.now() < deadline; text = await scrape(url)) {
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  return text
}

// Where a process serves its metrics: the line it prints once it does.
async function metricsUrl(process: AllotProcess): Promise<string> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 100))) {
    const url = /metrics\s+(http:\/\/\S+)/.exec(process.output())?.[1]
    if (url) return url
  }
  throw new Error(`no metrics URL printed: ${process.output().slice(-500)}`)
}

test.before(async () => {
  observed = await startObservedMarket()
  ;({ process: provider, bootstrap } = await observed.startProvider(['--metrics', '127.0.0.1:0']))
  keeper = observed.spawn(['keeper', 'start', '--polling-interval', '200', '--metrics', '127.0.0.1:0'], keeperKey)
  ;[providerUrl, keeperUrl] = await Promise.all([metricsUrl(provider), metricsUrl(keeper)])
})

test.after(async () => {
  await observed?.stop()
})

test('a non-loopback --metrics address is refused with a named error before the node starts', async () => {
  for (const command of [['provider', 'start'], ['keeper', 'start']]) {
    const result = await runCli([...command, '--metrics', '0.0.0.0:9464', '--json'], { env: observed.env })
    assert.is(result.code, 1, result.stdout)
    assert.is(result.json().error.name, 'MetricsAddressNotLoopbackError')
  }
  const malformed = await runCli(['provider', 'start', '--metrics', 'nine', '--json'], { env: observed.env })
  assert.is(malformed.json().error.name, 'InvalidMetricsAddressError')
})

test('the provider serves its metrics on loopback only, and nothing but /metrics', async () => {
  assert.match(providerUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/)
  assert.is((await fetch(providerUrl.replace('/metrics', '/'))).status, 404)
  // A page on another site whose name resolves to 127.0.0.1 sends its own Host, and gets nothing.
  const rebound = await new Promise<number>((resolve, reject) =>
    request(providerUrl, { headers: { host: 'attacker.example:80' } }, (response) => resolve(response.statusCode!)).on('error', reject).end(),
  )
  assert.is(rebound, 403)
  const text = await scrapeUntil(providerUrl, (text) => sample(text, 'allot_chain_head_lag_blocks', { follower: 'provider' }) !== undefined)
  assert.ok(sample(text, 'process_cpu_user_seconds_total')! > 0, 'Node default metrics')
  assert.is(sample(text, 'allot_provider_health_factor'), Infinity)
  assert.is(sample(text, 'allot_provider_position', { part: 'collateral' }), 100e18)
  assert.ok(sample(text, 'allot_provider_backing_room')! > 0)
  assert.ok(sample(text, 'allot_rpc_request_seconds_count', { method: 'eth_call' })! > 0)
  assert.ok(sample(text, 'allot_chain_head_lag_blocks', { follower: 'provider' })! >= 0)
})

test('a job changes the provider’s series: deals, jobs, duration, bytes, earnings, RPC calls', async () => {
  const before = await scrape(providerUrl)
  assert.is(sample(before, 'allot_provider_jobs_total', { runtime: 'wasm', outcome: 'succeeded' }) ?? 0, 0)
  assert.is(sample(before, 'allot_provider_deals', { state: 'settled' }), 0)
  assert.is(sample(before, 'allot_provider_earned_total'), 0)
  const result = await observed.client(['job', 'submit', sumJob, '--max-price', '0.5'], bootstrap)
  assert.is(result.code, 0, result.stderr + result.stdout)
  const { price, state, dealId } = result.json()
  assert.is(state, 'settled')
  // The provider sees the settlement on chain a moment after the client does.
  const after = await scrapeUntil(providerUrl, (text) => sample(text, 'allot_provider_deals', { state: 'settled' }) === 1)
  assert.is(sample(after, 'allot_provider_deals', { state: 'settled' }), 1, after)
  assert.is(sample(after, 'allot_provider_jobs_total', { runtime: 'wasm', outcome: 'succeeded' }), 1)
  assert.is(sample(after, 'allot_provider_job_duration_seconds_count', { runtime: 'wasm' }), 1)
  assert.ok(sample(after, 'allot_provider_job_duration_seconds_sum', { runtime: 'wasm' })! > 0)
  assert.ok(sample(after, 'allot_transfer_bytes_total', { direction: 'received', kind: 'job' })! > 0)
  assert.ok(sample(after, 'allot_transfer_bytes_total', { direction: 'sent', kind: 'result' })! > 0)
  const settled = await observed.market.accounts[0]!.public.getContractEvents({ address: observed.market.deployment.market, abi: allotMarketAbi, eventName: 'DealSettled', fromBlock: 0n })
  const payout = settled.find((event) => event.args.dealId === dealId)!.args.providerAmount!
  assert.ok(payout > 0n && payout <= BigInt(price))
  assert.is(sample(after, 'allot_provider_earned_total'), Number(payout))
  assert.is(sample(after, 'allot_provider_pending_earnings'), 0)
  const calls = (text: string) => sample(text, 'allot_rpc_request_seconds_count', { method: 'eth_getLogs' }) ?? 0
  assert.ok(calls(after) > calls(before))
})

test('a client node counts its matches, and why asks failed when nothing matched', async () => {
  const { market, root } = observed
  const node = await startNode({ home: join(root, 'matcher'), rpcUrl: market.anvil.rpcUrl, deployment: market.deployment, account: privateKeyToAccount(clientKey), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap: [bootstrap], syncOnStart: true })
  try {
    const now = Math.floor(Date.now() / 1000)
    const bid = (runtime: 'wasm' | 'docker') => ({
      client: node.info.address as `0x${string}`,
      requirements: { cpuMillicores: 500, memoryMiB: 64, diskMiB: 0, gpus: [], runtime },
      duration: 10,
      maxPrice: 10n ** 12n,
      jobHash: `0x${'11'.repeat(32)}` as const,
      expiry: now + 600,
      nonce: 1,
    })
    assert.ok(node.book.match(bid('wasm'), { now }).match, 'the provider’s ask matches a wasm job')
    assert.is(node.book.match(bid('docker'), { now }).match, undefined)
    const text = await node.registry.metrics()
    assert.is(sample(text, 'allot_client_matches_total', { outcome: 'matched' }), 1)
    assert.is(sample(text, 'allot_client_matches_total', { outcome: 'no_match' }), 1)
    assert.is(sample(text, 'allot_client_no_match_asks_total', { reason: 'runtime' }), 1)
  } finally {
    await node.stop()
  }
})

test('a liquidation changes the keeper’s series: attempted, won, bonus', async () => {
  assert.match(keeperUrl, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/, keeper.output())
  const before = await scrape(keeperUrl)
  assert.is(sample(before, 'allot_keeper_liquidations_won_total', { kind: 'deal' }) ?? 0, 0)
  assert.ok(sample(before, 'nodejs_eventloop_lag_seconds') !== undefined)
  const submitted = await observed.client(['job', 'submit', spinJob, '--no-wait', '--max-price', '0.5'], bootstrap)
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId } = submitted.json()
  // A provider that dies mid-job defaults its deal once the deadline passes.
  provider.child.kill('SIGKILL')
  const { market } = observed
  await increaseTime(market.accounts[0]!, 60 + 120 + 5)
  const deadline = Date.now() + 30_000
  let status = ''
  while ((status = (await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId })).statusName) !== 'Liquidated' && Date.now() < deadline)
    await new Promise((resolve) => setTimeout(resolve, 100))
  assert.is(status, 'Liquidated', keeper.output().slice(-800))
  // The chain shows the liquidation as soon as it is mined; the keeper counts it once it has the receipt.
  const after = await scrapeUntil(keeperUrl, (text) => sample(text, 'allot_keeper_liquidations_won_total', { kind: 'deal' }) !== undefined)
  assert.is(sample(after, 'allot_keeper_liquidations_attempted_total', { kind: 'deal' }), 1, keeper.output().slice(-500))
  assert.is(sample(after, 'allot_keeper_liquidations_won_total', { kind: 'deal' }), 1)
  assert.ok(sample(after, 'allot_keeper_bonus_total')! > 0)
  assert.ok(sample(after, 'allot_keeper_gas_used_total')! > 0)
  assert.ok(sample(after, 'allot_rpc_request_seconds_count', { method: 'eth_sendRawTransaction' })! > 0)
})

test.run()
