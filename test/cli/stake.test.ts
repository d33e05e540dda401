import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { devPrivateKeys } from '../../node/chain/clients.ts'
import { runCli, startCli } from '../helpers/cli.ts'

let home: string
let chain: ReturnType<typeof startCli>
let rpc: string
const env = () => ({ ALLOT_HOME: home, ALLOT_RPC: rpc, ALLOT_PASSWORD: 'correct horse' })

test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'allot-stake-'))
  chain = startCli(['chain', 'dev', '--port', '0', '--json', '--home', home])
  await chain.ready
  rpc = JSON.parse(chain.stdout()).rpcUrl
})
test.after(async () => {
  await chain.stop()
  await rm(home, { recursive: true, force: true })
})

test('init writes a v3 keystore and refuses to overwrite it', async () => {
  const result = await runCli(['init', '--private-key', devPrivateKeys[1], '--json'], { env: env() })
  assert.is(result.code, 0, result.stderr + result.stdout)
  assert.is(result.json().address, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
  const keystore = JSON.parse(await readFile(join(home, 'keystore.json'), 'utf8'))
  assert.is(keystore.version, 3)
  assert.is(keystore.crypto.kdf, 'scrypt')
  const again = await runCli(['init', '--json'], { env: env() })
  assert.is(again.code, 1)
  assert.is(again.json().error.name, 'KeystoreExistsError')
})

test('stake deposit approves once, deposits, and status shows the position', async () => {
  const deposit = await runCli(['stake', 'deposit', '100', '--json'], { env: env() })
  assert.is(deposit.code, 0, deposit.stderr + deposit.stdout)
  assert.is(deposit.json().position.collateral, (100n * 10n ** 18n).toString())
  const status = await runCli(['stake', 'status', '--json'], { env: env() })
  assert.is(status.code, 0)
  // 100 ALS at 2 tUSD, collateral factor 0.8: 160 tUSD of deals.
  assert.is(status.json().canBack, '160000000')
  // The factors in force now: the calm market's, until its price feed turns volatile.
  assert.equal(status.json().effective, { collateralFactorBps: 8000, liquidationThresholdBps: 9000, baseCollateralFactorBps: 8000, baseLiquidationThresholdBps: 9000 })
  const human = await runCli(['stake', 'status'], { env: env() })
  assert.match(human.stdout, /health factor\s+∞/)
  assert.match(human.stdout, /collateral factor\s+80\.00% now \(80\.00% when calm\), liquidation threshold 90\.00% \(90\.00%\)/)
})

test('market list shows the markets the factory created, the default one marked, with their fixed rules', async () => {
  const deployment = JSON.parse(await readFile(join(home, 'deployment.json'), 'utf8'))
  const listed = await runCli(['market', 'list', '--json'], { env: env() })
  assert.is(listed.code, 0, listed.stderr + listed.stdout)
  const markets = listed.json()
  assert.is(markets.length, 1)
  assert.is(markets[0].market.toLowerCase(), deployment.market.toLowerCase())
  assert.is(markets[0].default, true)
  assert.is(markets[0].parameters.minDealDuration, 60)
  assert.is(markets[0].effective.collateralFactorBps, '8000')
  assert.is(markets[0].badDebt, '0')
  const human = await runCli(['market', 'list'], { env: env() })
  // The file keeps addresses as the chain returned them; the CLI prints them checksummed.
  assert.match(human.stdout, new RegExp(`1 market from factory ${deployment.factory}`, 'i'))
  assert.match(human.stdout, new RegExp(deployment.market, 'i'))
  assert.match(human.stdout, 'default')
})

test('commands that only read unlock nothing: no password for status, balance and lists; none asked of a home without a key', async () => {
  const noPassword = { ALLOT_HOME: home, ALLOT_RPC: rpc }
  // Read as the keystore's address, taken from its unencrypted field.
  const status = await runCli(['stake', 'status', '--json'], { env: noPassword })
  assert.is(status.code, 0, status.stderr + status.stdout)
  assert.is(status.json().collateral, (100n * 10n ** 18n).toString())
  const balance = await runCli(['balance', '--json'], { env: noPassword })
  assert.is(balance.code, 0, balance.stderr + balance.stdout)
  assert.is(balance.json().account, '0x70997970C51812dc3A010C7d01b50e0d17dc79C8')
  for (const argv of [['market', 'list'], ['job', 'list']]) {
    const read = await runCli([...argv, '--json'], { env: noPassword })
    assert.is(read.code, 0, `${argv.join(' ')}: ${read.stderr}${read.stdout}`)
  }
  // Acting still unlocks the key, and says what is missing.
  const deposit = await runCli(['stake', 'deposit', '1', '--json'], { env: noPassword })
  assert.is(deposit.code, 1)
  assert.is(deposit.json().error.name, 'PasswordRequiredError')

  // A home with no key at all can read the market, but has no balance to show.
  const stranger = { ALLOT_HOME: join(home, 'stranger'), ALLOT_RPC: rpc, ALLOT_DEPLOYMENT: join(home, 'deployment.json') }
  const markets = await runCli(['market', 'list', '--json'], { env: stranger })
  assert.is(markets.code, 0, markets.stderr + markets.stdout)
  assert.is(markets.json().length, 1)
  const none = await runCli(['balance', '--json'], { env: stranger })
  assert.is(none.code, 1)
  assert.is(none.json().error.name, 'KeyNotFoundError')
})

test('a wrong keystore password fails with its name and changes nothing', async () => {
  const result = await runCli(['stake', 'deposit', '5', '--json'], { env: { ...env(), ALLOT_PASSWORD: 'wrong' } })
  assert.is(result.code, 1)
  assert.is(result.json().error.name, 'WrongPasswordError')
  const status = await runCli(['stake', 'status', '--json'], { env: env() })
  assert.is(status.json().collateral, (100n * 10n ** 18n).toString())
})

test('a bad amount is a usage error', async () => {
  const result = await runCli(['stake', 'deposit', '-3'], { env: env() })
  assert.is(result.code, 2)
  const zero = await runCli(['stake', 'deposit', '0', '--json'], { env: env() })
  assert.is(zero.code, 2)
  assert.match(zero.json().error.message, 'AMOUNT')
})

test('a withdrawal too large or still unbonding is said in tokens and local time; a second request warns before restarting the clock', async () => {
  const tooLarge = await runCli(['stake', 'withdraw', '1000', '--json'], { env: env() })
  assert.is(tooLarge.code, 1)
  assert.is(tooLarge.json().error.name, 'WithdrawalExceedsCollateral')
  assert.match(tooLarge.json().error.message, '1000 ALS')
  assert.match(tooLarge.json().error.message, '100 ALS')
  const first = await runCli(['stake', 'withdraw', '10', '--json'], { env: env() })
  assert.is(first.code, 0, first.stderr + first.stdout)
  const claim = await runCli(['stake', 'withdraw', '--claim', '--json'], { env: env() })
  assert.is(claim.json().error.name, 'WithdrawalLocked')
  assert.match(claim.json().error.hint, '--claim')
  const second = await runCli(['stake', 'withdraw', '5', '--json'], { env: env() })
  assert.is(second.code, 2)
  assert.match(second.json().error.message, 'restarts the unbonding period for all 15 ALS')
  const status = await runCli(['stake', 'status', '--json'], { env: env() })
  assert.is(status.json().pendingWithdrawal, (10n * 10n ** 18n).toString())
  const confirmed = await runCli(['stake', 'withdraw', '5', '--restart-unbonding'], { env: env() })
  assert.is(confirmed.code, 0, confirmed.stderr)
  assert.match(confirmed.stdout, 'warning:')
})

test('an unreachable RPC endpoint names the URL and the flag to change it', async () => {
  const result = await runCli(['stake', 'status', '--json', '--rpc', 'http://127.0.0.1:9'], { env: env() })
  assert.is(result.code, 1)
  const { error } = result.json()
  assert.is(error.name, 'ChainUnreachableError')
  assert.match(error.message, '127.0.0.1:9')
  assert.match(error.hint, '--rpc')
})

test.run()
