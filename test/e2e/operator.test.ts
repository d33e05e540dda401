import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { erc20Abi, formatUnits, parseUnits, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { devPrivateKeys, type ChainClients } from '../../node/chain/clients.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../node/chain/devMarket.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from '../helpers/cli.ts'

// The operator's and user's views of the market: a provider and a keeper run as separate
// `allot` processes over TCP; balance, status and list commands are run as a user would.
let market: DevMarket
let root: string
let env: Record<string, string>
let bootstrap: string
const processes: AllotProcess[] = []
// (job fixtures are added with the tests that run jobs)
const clientKey = devPrivateKeys[4]
const clientAddress = privateKeyToAccount(clientKey).address
const providerKey = devPrivateKeys[1]
const providerHome = () => join(root, 'provider')

const tokenBalance = (token: Hex, account: Hex) => market.accounts[0]!.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })
const client = (argv: string[], extra: Record<string, string> = {}) => runCli(argv, { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey, ALLOT_BOOTSTRAP: bootstrap, ...extra } })

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-operator-'))
  market = await startDevMarket()
  const deploymentPath = join(root, 'deployment.json')
  await writeDeployment(deploymentPath, market.deployment)
  env = { ALLOT_RPC: market.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath }
  const providerClients = market.accounts[1] as ChainClients
  await ensureAllowance(providerClients, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(providerClients, { deployment: market.deployment, amount: parseUnits('100', 18) })
  const provider = spawnAllot(['provider', 'start', '--home', providerHome(), '--cpu', '2000', '--memory', '2048', '--disk', '1024'], { ...env, ALLOT_PRIVATE_KEY: providerKey })
  processes.push(provider)
  bootstrap = (await provider.ready).addresses[0]
})

test.after(async () => {
  await Promise.all(processes.map((process) => process.stop()))
  await market?.stop()
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

test.run()
