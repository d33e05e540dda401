import type { Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { startAnvil, type Anvil, type StartAnvilParameters } from './anvil.ts'
import { createChainClients, devPrivateKeys, type ChainClients } from './clients.ts'
import { deployDevMarket, devFunding, type DeployDevMarketParameters } from './deploy.ts'
import type { Deployment } from './deployment.ts'

export type DevMarket = {
  anvil: Anvil
  deployment: Deployment
  /** Clients for anvil's dev accounts, in key order; index 0 deployed the market and is its arbiter and fee recipient (nobody owns it). */
  accounts: ChainClients[]
  clientsFor: (privateKey: Hex) => ChainClients
  stop: () => Promise<void>
}

export type StartDevMarketParameters = Omit<StartAnvilParameters, 'signal'> &
  Pick<DeployDevMarketParameters, 'collateral' | 'collateralPrice' | 'parameters'> & { signal?: AbortSignal }

/**
 * Starts anvil on a free loopback port and deploys a funded market on it:
 * what `allot chain dev`, the tests, the benchmarks and the demo all stand on.
 *
 * @example
 * const market = await startDevMarket()
 * const [owner, provider, client] = market.accounts
 * await market.stop()
 */
export async function startDevMarket(parameters: StartDevMarketParameters = {}): Promise<DevMarket> {
  const { collateral, collateralPrice, parameters: marketParameters, signal, ...anvilParameters } = parameters
  const anvil = await startAnvil({ ...anvilParameters, signal })
  try {
    const accounts = devPrivateKeys.map((key) => privateKeyToAccount(key).address)
    const deployment = await deployDevMarket({
      rpcUrl: anvil.rpcUrl,
      chainId: anvil.chainId,
      collateral,
      collateralPrice,
      parameters: marketParameters,
      fund: { accounts, ...devFunding },
      signal,
    })
    const clientsFor = (privateKey: Hex) => createChainClients({ rpcUrl: anvil.rpcUrl, chainId: anvil.chainId, account: privateKeyToAccount(privateKey) })
    return { anvil, deployment, accounts: devPrivateKeys.map(clientsFor), clientsFor, stop: anvil.stop }
  } catch (error) {
    await anvil.stop()
    throw error
  }
}
