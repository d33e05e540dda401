import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseUnits } from 'viem'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import type { ChainClients } from '../../node/chain/clients.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../node/chain/devMarket.ts'

export type E2eMarket = {
  market: DevMarket
  /** A temporary folder for the test's homes; the deployment file is in it. */
  root: string
  /** What every `allot` process of the test needs: the chain and the deployment file. */
  env: Record<string, string>
}

/**
 * A dev market for an end-to-end test: anvil with the market deployed, the deployment
 * file in a fresh temporary folder, and dev account `providerIndex` staked with `stake` ALS.
 */
export async function startE2eMarket({ prefix, providerIndex = 1, stake = '100' }: { prefix: string; providerIndex?: number; stake?: string }): Promise<E2eMarket> {
  const root = await mkdtemp(join(tmpdir(), prefix))
  const market = await startDevMarket()
  const deploymentPath = join(root, 'deployment.json')
  await writeDeployment(deploymentPath, market.deployment)
  const provider = market.accounts[providerIndex] as ChainClients
  await ensureAllowance(provider, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(provider, { deployment: market.deployment, amount: parseUnits(stake, 18) })
  return { market, root, env: { ALLOT_RPC: market.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath } }
}
