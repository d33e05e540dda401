import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnits, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { allotMarketFactoryAbi } from '../../contracts/abi/index.ts'
import { getDeal, getPosition } from '../../node/chain/actions/readMarket.ts'
import { createChainClients, devPrivateKeys } from '../../node/chain/clients.ts'
import { defaultMarketParameters } from '../../node/chain/createMarket.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from '../helpers/cli.ts'

// Markets as a user meets them: one `chain dev` chain, a second market created from the CLI with
// other rules, and every party a separate `allot` process or command choosing it with --market.
let root: string
let chain: AllotProcess
let chainInfo: { rpcUrl: string; deploymentPath: string; deployment: { market: Address; factory: Address } }
const processes: AllotProcess[] = []
const sumJob = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'sum')
const keys = { creator: devPrivateKeys[3], provider: devPrivateKeys[1], client: devPrivateKeys[4], keeper: devPrivateKeys[5] }
const env = (extra: Record<string, string> = {}) => ({ ALLOT_DEPLOYMENT: chainInfo.deploymentPath, ...extra })
const unknown = '0xdead00000000000000000000000000000000beef'
let marketB: Address
let bootstrap: string

const reader = () => createChainClients({ rpcUrl: chainInfo.rpcUrl, account: privateKeyToAccount(keys.client) })

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-markets-'))
  chain = spawnAllot(['chain', 'dev', '--port', '0', '--home', join(root, 'chain')])
  processes.push(chain)
  chainInfo = await chain.ready
})

test.after(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await rm(root, { recursive: true, force: true })
})

test('market create: a market with another collateral factor, from flags; the same again is refused; out-of-bounds values are named before anything is sent', async () => {
  const creator = env({ ALLOT_HOME: join(root, 'creator'), ALLOT_PRIVATE_KEY: keys.creator })
  const created = await runCli(['market', 'create', '--collateral-factor', '60', '--min-collateral-factor', '40', '--json'], { env: creator })
  assert.is(created.code, 0, created.stdout + created.stderr)
  marketB = created.json().market
  assert.match(marketB, /^0x[0-9a-fA-F]{40}$/)
  assert.is.not(marketB, chainInfo.deployment.market)
  assert.is(created.json().parameters.collateralFactorBps, 6000)
  assert.is(created.json().parameters.minCollateralFactorBps, 4000)

  const again = await runCli(['market', 'create', '--collateral-factor', '60', '--min-collateral-factor', '40', '--json'], { env: creator })
  assert.is(again.code, 1)
  assert.is(again.json().error.name, 'MarketExistsError')
  assert.match(again.json().error.hint, `--market ${marketB}`)

  const wild = await runCli(['market', 'create', '--collateral-factor', '99', '--keeper-bonus', '25', '--min-deal-duration', '5s'], { env: creator })
  assert.is(wild.code, 1)
  assert.match(wild.stderr, /error: 4 market parameters are outside the bounds every market is held to; nothing was sent\./)
  assert.match(wild.stderr, /collateralFactorBps \(--collateral-factor\) = 99%: must be from 10% to/)
  assert.match(wild.stderr, new RegExp(`liquidationThresholdBps \\(--liquidation-threshold\\) = ${defaultMarketParameters.liquidationThresholdBps / 100}%: no value fits`))
  assert.match(wild.stderr, /: no value fits \(from 99.01% to 99%: above the collateral factor\); fix what it depends on first/)
  assert.match(wild.stderr, /keeperBonusBps \(--keeper-bonus\) = 25%: must be from 0% to 20%/)
  assert.match(wild.stderr, /minDealDuration \(--min-deal-duration\) = 5 s: must be from 1 min to 30 d/)
  assert.match(wild.stderr, /hint: /)
  const noToken = await runCli(['market', 'create', '--collateral-token', '0x0000000000000000000000000000000000000001', '--json'], { env: creator })
  assert.is(noToken.json().error.name, 'UsageError')
  assert.match(noToken.json().error.message, 'price feed')
  const typo = await runCli(['market', 'create', '--collateral-token', '0x0000000000000000000000000000000000000001', '--price-feed', '0x0000000000000000000000000000000000000002', '--json'], { env: creator })
  assert.match(typo.json().error.message, '--collateral-token 0x0000000000000000000000000000000000000001 has no contract code')
  const count = await reader().public.readContract({ address: chainInfo.deployment.factory, abi: allotMarketFactoryAbi, functionName: 'marketCount' })
  assert.is(count, 2n)
})

test('market list shows both markets with their parameters; --market and ALLOT_MARKET naming an unknown market fail with the named error', async () => {
  const list = await runCli(['market', 'list', '--json'], { env: env({ ALLOT_HOME: join(root, 'viewer'), ALLOT_PRIVATE_KEY: keys.client }) })
  assert.is(list.code, 0, list.stdout + list.stderr)
  const markets = list.json() as { market: Address; default: boolean; parameters: { collateralFactorBps: number } }[]
  assert.equal(markets.map((m) => [m.market, m.default, m.parameters.collateralFactorBps]), [
    [chainInfo.deployment.market, true, defaultMarketParameters.collateralFactorBps],
    [marketB, false, 6000],
  ])
  for (const [args, extra] of [
    [['stake', 'status', '--market', unknown], {}],
    [['provider', 'start', '--market', unknown], {}],
    [['job', 'list'], { ALLOT_MARKET: unknown }],
  ] as const) {
    const failed = await runCli([...args, '--json'], { env: env({ ALLOT_HOME: join(root, 'lost'), ALLOT_PRIVATE_KEY: keys.provider, ...extra }) })
    assert.is(failed.code, 1, `${args.join(' ')}: ${failed.stdout}${failed.stderr}`)
    assert.is(failed.json().error.name, 'UnknownMarketError', args.join(' '))
    assert.match(failed.json().error.hint, 'allot market list')
  }
})

test('stake deposit, provider start and job submit with --market B: the deal settles on market B, and the default market holds nothing of it', async () => {
  const home = join(root, 'provider')
  const providerEnv = env({ ALLOT_PRIVATE_KEY: keys.provider })
  const deposit = await runCli(['stake', 'deposit', '100', '--market', marketB, '--json', '--home', home], { env: providerEnv })
  assert.is(deposit.code, 0, deposit.stdout + deposit.stderr)
  const provider = spawnAllot(['provider', 'start', '--market', marketB, '--home', home, '--cpu', '2000', '--memory', '2048', '--disk', '1024'], providerEnv)
  processes.push(provider)
  const started = await provider.ready
  bootstrap = started.addresses[0]
  assert.is(started.market, marketB)
  const providerStatus = await runCli(['provider', 'status', '--json', '--home', home], { env: providerEnv })
  assert.is(providerStatus.json().market, marketB, providerStatus.stdout + providerStatus.stderr)
  const otherStatus = await runCli(['provider', 'status', '--json', '--home', home, '--market', chainInfo.deployment.market], { env: providerEnv })
  assert.is(otherStatus.json().error.name, 'ProviderOnOtherMarketError')

  // ALLOT_MARKET chooses the market as well as the flag does.
  const clientEnv = env({ ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: keys.client, ALLOT_BOOTSTRAP: bootstrap, ALLOT_MARKET: marketB })
  const submitted = await runCli(['job', 'submit', sumJob, '--max-price', '0.5', '--json'], { env: clientEnv })
  assert.is(submitted.code, 0, `${submitted.stdout}${submitted.stderr}${provider.output().slice(-1500)}`)
  assert.is(submitted.json().state, 'settled')
  const dealId = submitted.json().dealId as Hex

  const clients = reader()
  const providerAddress = privateKeyToAccount(keys.provider).address
  assert.is((await getDeal(clients, { deployment: { market: marketB }, dealId })).statusName, 'Settled')
  assert.is((await getDeal(clients, { deployment: chainInfo.deployment, dealId })).statusName, 'None')
  assert.is((await getPosition(clients, { deployment: { market: marketB }, provider: providerAddress })).collateral, parseUnits('100', 18))
  assert.is((await getPosition(clients, { deployment: chainInfo.deployment, provider: providerAddress })).collateral, 0n)

  // The home remembers each deal's market: later commands about it need no --market, and refuse another one.
  const sameHome = env({ ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: keys.client })
  const status = await runCli(['job', 'status', dealId.slice(0, 12), '--json'], { env: sameHome })
  assert.is(status.code, 0, status.stdout + status.stderr)
  assert.is(status.json().chain.status, 'Settled')
  assert.is(status.json().market, marketB)
  const [listed] = (await runCli(['job', 'list', '--json'], { env: sameHome })).json()
  assert.is(listed.stateOnChain, 'settled')
  const elsewhere = await runCli(['job', 'status', dealId, '--json', '--market', chainInfo.deployment.market], { env: sameHome })
  assert.is(elsewhere.code, 1)
  assert.is(elsewhere.json().error.name, 'DealOnOtherMarketError')
  assert.match(elsewhere.json().error.hint, `--market ${marketB}`)
  const stake = await runCli(['stake', 'status', '--json', '--home', home, '--market', marketB], { env: providerEnv })
  assert.is(stake.json().collateral, parseUnits('100', 18).toString(), stake.stdout)
  assert.is(stake.json().effective.baseCollateralFactorBps, 6000)
  // The market as a config key of the home.
  const configured = join(root, 'configured')
  await mkdir(configured, { recursive: true })
  await writeFile(join(configured, 'config.json'), JSON.stringify({ market: marketB }))
  const configuredStake = await runCli(['stake', 'status', '--json', '--home', configured], { env: providerEnv })
  assert.is(configuredStake.json().collateral, parseUnits('100', 18).toString(), configuredStake.stdout)

  // A keeper on market B; `keeper status` in its home answers for B, and refuses another market while it runs.
  const keeperHome = join(root, 'keeper')
  const keeper = spawnAllot(['keeper', 'start', '--market', marketB, '--home', keeperHome], env({ ALLOT_PRIVATE_KEY: keys.keeper }))
  processes.push(keeper)
  const until = Date.now() + 90_000
  while (!keeper.output().includes('started') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 200))
  assert.match(keeper.output(), `market ${marketB}`)
  const keeperStatus = await runCli(['keeper', 'status', '--json', '--home', keeperHome], { env: env() })
  assert.is(keeperStatus.code, 0, keeperStatus.stdout + keeperStatus.stderr)
  assert.is(keeperStatus.json().market, marketB)
  assert.is(keeperStatus.json().running, true)
  const keeperElsewhere = await runCli(['keeper', 'status', '--json', '--home', keeperHome, '--market', chainInfo.deployment.market], { env: env() })
  assert.is(keeperElsewhere.json().error.name, 'KeeperOnOtherMarketError')
  await keeper.stop()

  // The dashboard started in the provider's home shows the provider's market.
  const dashboard = spawnAllot(['dashboard', '--port', '0', '--home', home], env())
  processes.push(dashboard)
  assert.is((await dashboard.ready).market, marketB)
  await dashboard.stop()
})

test('markets never mix: a client on the default market sees none of market B’s asks through B’s provider, and its bid matches nothing', async () => {
  const onB = await runCli(['market', 'asks', '--json', '--market', marketB, '--bootstrap', bootstrap], { env: env({ ALLOT_HOME: join(root, 'asks-b'), ALLOT_PRIVATE_KEY: keys.client }) })
  assert.is(onB.code, 0, onB.stdout + onB.stderr)
  assert.is(onB.json().length, 1)
  const clientEnv = env({ ALLOT_HOME: join(root, 'client-a'), ALLOT_PRIVATE_KEY: keys.client, ALLOT_BOOTSTRAP: bootstrap })
  const onA = await runCli(['market', 'asks', '--json'], { env: clientEnv })
  assert.is(onA.code, 0, onA.stdout + onA.stderr)
  assert.equal(onA.json(), [])
  const submitted = await runCli(['job', 'submit', sumJob, '--max-price', '0.5', '--timeout', '8', '--json'], { env: clientEnv })
  assert.is(submitted.code, 1, submitted.stdout)
  // --timeout both bounds the match and aborts the command: on a busy machine either says first that nothing matched.
  assert.ok(['SubmitTimeoutError', 'NoMatchError'].includes(submitted.json().error.name), submitted.stdout)
  assert.match(submitted.stderr, 'no asks in the book')
  assert.equal((await runCli(['job', 'list', '--json'], { env: clientEnv })).json(), [])
})

test.run()
