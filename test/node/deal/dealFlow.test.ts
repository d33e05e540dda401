import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { erc20Abi, parseUnits } from 'viem'
import { depositCollateral } from '../../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../../node/chain/actions/ensureAllowance.ts'
import { getDeal } from '../../../node/chain/actions/readMarket.ts'
import type { ChainClients } from '../../../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { serveJobs } from '../../../node/client/serveJobs.ts'
import { submitJob, type JobProgress } from '../../../node/client/submitJob.ts'
import type { P2PHost } from '../../../node/p2p/createHost.ts'
import { sharedBook, startHost, startTestProvider, type TestProvider } from '../../helpers/nodes.ts'

let market: DevMarket
let provider: TestProvider
let clientHost: P2PHost
let clientHome: string
const book = sharedBook()
const jobFolder = join(import.meta.dirname, '..', '..', 'fixtures', 'jobs', 'sum')

test.before(async () => {
  market = await startDevMarket()
  const [, providerClients] = market.accounts as [ChainClients, ChainClients]
  await ensureAllowance(providerClients, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(providerClients, { deployment: market.deployment, amount: parseUnits('100', 18) })
  provider = await startTestProvider({ clients: providerClients, deployment: market.deployment, publisher: book })
  clientHome = await mkdtemp(join(tmpdir(), 'allot-client-'))
  clientHost = await startHost(clientHome, [provider.host.getMultiaddrs()[0]!.toString()])
})

test.after(async () => {
  await clientHost?.stop()
  await provider?.stop()
  await market?.stop()
  await rm(clientHome, { recursive: true, force: true })
})

test('a wasm job runs end to end: negotiated over libp2p, opened, run, committed, fetched, checked, settled', async () => {
  const client = market.accounts[2]!
  const { deployment } = market
  const paymentBefore = await client.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'balanceOf', args: [client.wallet.account.address] })
  const jobs = await serveJobs(clientHost)
  const steps: JobProgress['step'][] = []
  const { deal, exitCode } = await submitJob(
    { host: clientHost, clients: client, deployment, book, jobs },
    { home: clientHome, folder: jobFolder, maxPrice: parseUnits('1', 6), onProgress: (p) => steps.push(p.step) },
  )
  assert.is(exitCode, 0)
  assert.is(await readFile(join(deal.resultDir, 'stdout'), 'utf8'), 'sum=155\n')
  assert.is(await readFile(join(deal.resultDir, 'output', 'sum.txt'), 'utf8'), '155\n')
  const onChain = await getDeal(client, { deployment, dealId: deal.dealId })
  assert.is(onChain.statusName, 'Settled')
  const paymentAfter = await client.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'balanceOf', args: [client.wallet.account.address] })
  assert.is(paymentBefore - paymentAfter, deal.terms.price)
  for (const step of ['bundled', 'negotiating', 'deal-opened', 'running', 'result-committed', 'downloaded', 'settled'] as const) assert.ok(steps.includes(step), `missing step ${step}: ${steps.join(',')}`)
  const status = await provider.provider.status()
  assert.is(status.jobs.settled + status.jobs.delivered, 1)
  await jobs.stop()
})

test.run()
