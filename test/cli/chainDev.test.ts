import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createPublicClient, http } from 'viem'
import { allotMarketAbi, allotMarketFactoryAbi } from '../../contracts/abi/index.ts'
import { defaultMarketParameters } from '../../node/chain/createMarket.ts'
import { runCli, startCli } from '../helpers/cli.ts'

let home: string
test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'allot-cli-'))
})
test.after(async () => {
  await rm(home, { recursive: true, force: true })
})

test('chain dev --json brings up a market a viem user can call, and stops on abort', async () => {
  const cli = startCli(['chain', 'dev', '--port', '0', '--json', '--home', home])
  await cli.ready
  const printed = JSON.parse(cli.stdout())
  assert.match(printed.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  assert.is(printed.deploymentPath, join(home, 'deployment.json'))
  const file = JSON.parse(await readFile(printed.deploymentPath, 'utf8'))
  assert.equal(file.market, printed.deployment.market)

  const client = createPublicClient({ transport: http(printed.rpcUrl) })
  const parameters = await client.readContract({ address: file.market, abi: allotMarketAbi, functionName: 'parameters' })
  assert.is(parameters.collateralFactorBps, 8000)
  // The market was created by the factory with the default parameters, and is its only market so far.
  assert.equal(parameters, { ...defaultMarketParameters })
  assert.equal(file.markets, [file.market])
  const created = await client.readContract({ address: file.factory, abi: allotMarketFactoryAbi, functionName: 'markets' })
  assert.equal(created, [file.market])
  assert.is(await cli.stop(), 0)
  await assert.not.ok(await client.getChainId().then(() => true, () => false), 'chain still answering after stop')
})

test('an unknown flag is a usage error with exit code 2', async () => {
  const result = await runCli(['chain', 'dev', '--bogus'])
  assert.is(result.code, 2)
  assert.match(result.stderr, /unknown option '--bogus'/)
})

test('a bad --port value is a usage error naming the flag; --json failures are one JSON document', async () => {
  const result = await runCli(['chain', 'dev', '--port', 'seventy', '--json', '--home', home])
  assert.is(result.code, 2)
  const printed = result.json()
  assert.is(printed.ok, false)
  assert.is(printed.error.name, 'UsageError')
  assert.match(printed.error.message, '--port')
})

test('config show reports each setting and its source', async () => {
  const result = await runCli(['config', 'show', '--json', '--home', home, '--rpc', 'http://127.0.0.1:9999'], { env: { ALLOT_DEPLOYMENT: '/tmp/d.json' } })
  assert.is(result.code, 0, result.stderr)
  const shown = result.json()
  assert.equal(shown.rpc, { value: 'http://127.0.0.1:9999', source: 'flag' })
  assert.equal(shown.deployment, { value: '/tmp/d.json', source: 'env' })
  assert.is(shown.home.source, 'flag')
})

test('the market comes from --market, ALLOT_MARKET or the config key; a malformed one is a SettingError naming where it came from', async () => {
  const market = '0x1349b9f202879D3699507c79Dfb98ED94b6F768b'
  const fromEnv = await runCli(['config', 'show', '--json', '--home', home], { env: { ALLOT_MARKET: market } })
  assert.equal(fromEnv.json().market, { value: market, source: 'env' })
  const fromFlag = await runCli(['config', 'show', '--json', '--home', home, '--market', market.toLowerCase()], { env: { ALLOT_MARKET: market } })
  assert.equal(fromFlag.json().market, { value: market.toLowerCase(), source: 'flag' })
  const malformed = await runCli(['config', 'show', '--json', '--home', home], { env: { ALLOT_MARKET: '0xdead' } })
  assert.is(malformed.code, 1)
  assert.is(malformed.json().error.name, 'SettingError')
  assert.match(malformed.json().error.message, 'ALLOT_MARKET')
  assert.match(malformed.json().error.message, 'allot market list')
})

test('--help exits 0 and lists examples', async () => {
  const result = await runCli(['chain', 'dev', '--help'])
  assert.is(result.code, 0)
  assert.match(result.stdout, 'Examples:')
})

test.run()
