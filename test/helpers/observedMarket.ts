import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseUnits } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { devPrivateKeys, type ChainClients } from '../../node/chain/clients.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../node/chain/devMarket.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from './cli.ts'

export const providerKey = devPrivateKeys[1]
/** A second provider, staked like the first. */
export const secondProviderKey = devPrivateKeys[2]
export const clientKey = devPrivateKeys[4]
export const keeperKey = devPrivateKeys[5]

/** A dev market on anvil with a staked provider account, and helpers to start `allot` processes on it. */
export type ObservedMarket = {
  market: DevMarket
  root: string
  env: Record<string, string>
  providerAddress: `0x${string}`
  /** `allot provider start` as its own process (home `<root>/<name>`), with `extra` arguments; resolves once it printed its JSON. */
  startProvider: (extra?: string[], options?: { key?: string; name?: string; env?: NodeJS.ProcessEnv }) => Promise<{ process: AllotProcess; info: any; bootstrap: string; home: string }>
  /** `allot <args>` as its own process, home `<root>/<name>` (by default the command's words joined by a dash). */
  spawn: (args: string[], key: string, name?: string, extraEnv?: NodeJS.ProcessEnv) => AllotProcess
  /** An `allot` command of the client, in process, with --json. */
  client: (argv: string[], bootstrap: string) => ReturnType<typeof runCli>
  stop: () => Promise<void>
}

/** Starts anvil with the market deployed and 100 collateral tokens staked by each provider account. */
export async function startObservedMarket(): Promise<ObservedMarket> {
  const root = await mkdtemp(join(tmpdir(), 'allot-observe-'))
  const market = await startDevMarket()
  const deploymentPath = join(root, 'deployment.json')
  await writeDeployment(deploymentPath, market.deployment)
  const env = { ALLOT_RPC: market.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath }
  for (const providerClients of [market.accounts[1], market.accounts[2]] as ChainClients[]) {
    await ensureAllowance(providerClients, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
    await depositCollateral(providerClients, { deployment: market.deployment, amount: parseUnits('100', 18) })
  }
  const processes: AllotProcess[] = []
  const spawn = (args: string[], key: string, name = args.slice(0, 2).join('-'), extraEnv: NodeJS.ProcessEnv = {}) => {
    const process = spawnAllot([...args, '--home', join(root, name)], { ...env, ...extraEnv, ALLOT_PRIVATE_KEY: key })
    processes.push(process)
    return process
  }
  return {
    market,
    root,
    env,
    providerAddress: privateKeyToAccount(providerKey).address,
    spawn,
    async startProvider(extra = [], { key = providerKey, name = 'provider-start', env: extraEnv = {} } = {}) {
      const process = spawn(['provider', 'start', '--listen', '/ip4/127.0.0.1/tcp/0', '--cpu', '2000', '--memory', '2048', '--disk', '1024', ...extra], key, name, extraEnv)
      const info = await process.ready
      return { process, info, bootstrap: info.addresses[0] as string, home: join(root, name) }
    },
    client: (argv, bootstrap) => runCli([...argv, '--json'], { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey, ALLOT_BOOTSTRAP: bootstrap } }),
    async stop() {
      await Promise.all(processes.map((process) => process.stop()))
      await market.stop()
      await rm(root, { recursive: true, force: true })
    },
  }
}

/** The value of one sample in Prometheus text, e.g. `sample(text, 'allot_provider_deals', { state: 'settled' })`; undefined when absent. */
export function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]))
    if (Object.entries(labels).every(([key, value]) => found[key] === value)) return match[3] === '+Inf' ? Infinity : match[3] === '-Inf' ? -Infinity : Number(match[3])
  }
  return undefined
}
