import { execFileSync } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnits } from 'viem'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { devPrivateKeys, type ChainClients } from '../../node/chain/clients.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../node/chain/devMarket.ts'
import { packageRoot } from '../../node/demo/packageRoot.ts'
import { spawnAllot } from '../../node/demo/spawnAllot.ts'

// Providers and clients as separate hosts would be: each in its own network
// namespace with its own address, joined by veth links to a bridge that also
// carries the chain. Needs root (or CAP_NET_ADMIN) and iproute2; skipped otherwise.
const bridge = 'allot-br0'
const hosts = { chain: '10.77.0.1', provider: '10.77.0.2', client: '10.77.0.3' }
const namespaces = { provider: 'allot-ns-provider', client: 'allot-ns-client' } as const

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] })
const tryIp = (...args: string[]) => {
  try {
    ip(...args)
  } catch {}
}

function teardown() {
  for (const name of Object.values(namespaces)) tryIp('netns', 'del', name)
  tryIp('link', 'del', bridge)
}

function setup(): string | undefined {
  try {
    teardown()
    ip('link', 'add', bridge, 'type', 'bridge')
    ip('addr', 'add', `${hosts.chain}/24`, 'dev', bridge)
    ip('link', 'set', bridge, 'up')
    for (const role of ['provider', 'client'] as const) {
      const ns = namespaces[role]
      const outside = `${role.slice(0, 4)}-veth0`
      ip('netns', 'add', ns)
      ip('link', 'add', outside, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns)
      ip('link', 'set', outside, 'master', bridge)
      ip('link', 'set', outside, 'up')
      ip('netns', 'exec', ns, 'ip', 'addr', 'add', `${hosts[role]}/24`, 'dev', 'eth0')
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'eth0', 'up')
      ip('netns', 'exec', ns, 'ip', 'link', 'set', 'lo', 'up')
    }
    return undefined
  } catch (error) {
    teardown()
    return (error as { stderr?: Buffer }).stderr?.toString().trim() || (error as Error).message
  }
}

/** Runs `allot …` inside a namespace. */
const allotIn = (ns: string, args: string[], env: Record<string, string>) => spawnAllot(args, env, { prefix: ['ip', 'netns', 'exec', ns] })

const problem = process.getuid?.() === 0 ? setup() : 'not running as root'
let market: DevMarket | undefined
let root: string

test.before(async () => {
  if (problem) return
  root = await mkdtemp(join(tmpdir(), 'allot-netns-'))
  market = await startDevMarket({ host: hosts.chain })
})

test.after(async () => {
  await market?.stop()
  if (!problem) teardown()
  if (root) await rm(root, { recursive: true, force: true })
})

test('a provider and a client on separate hosts trade a job over their own addresses', async () => {
  if (problem) {
    console.log(`  skipped: network namespaces cannot be made here (${problem})`)
    return
  }
  const deploymentPath = join(root, 'deployment.json')
  await writeDeployment(deploymentPath, market!.deployment)
  const providerClients = market!.accounts[1] as ChainClients
  await ensureAllowance(providerClients, { token: market!.deployment.collateralToken, spender: market!.deployment.market, amount: 1n })
  await depositCollateral(providerClients, { deployment: market!.deployment, amount: parseUnits('100', 18) })
  const env = { ALLOT_RPC: market!.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath }

  const provider = allotIn(namespaces.provider, ['provider', 'start', '--home', join(root, 'provider'), '--listen', `/ip4/${hosts.provider}/tcp/4001`, '--cpu', '1000', '--memory', '1024', '--disk', '512'], { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[1] })
  try {
    const info = await provider.ready
    assert.match(info.addresses[0], `/ip4/${hosts.provider}/tcp/4001/p2p/`)
    const client = allotIn(namespaces.client, ['job', 'submit', join(packageRoot(), 'test', 'fixtures', 'jobs', 'sum'), '--home', join(root, 'client'), '--bootstrap', info.addresses[0], '--listen', `/ip4/${hosts.client}/tcp/0`, '--max-price', '0.5'], { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[4] })
    const result = await client.ready
    assert.is(result.state, 'settled', client.output())
    assert.is(await readFile(join(result.resultDir, 'stdout'), 'utf8'), 'sum=155\n')
  } finally {
    await provider.stop()
  }
})

test.run()
