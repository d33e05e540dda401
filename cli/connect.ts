import { erc20Abi } from 'viem'
import { createChainClients, type ChainClients } from '../node/chain/clients.ts'
import { readDeployment, type Deployment } from '../node/chain/deployment.ts'
import { ChainMismatchError, toChainError } from '../node/chain/errors.ts'
import { commandAccount } from './account.ts'
import { rememberTokens } from './explainError.ts'
import type { ResolvedSettings, Settings } from './settings.ts'

export type Connection = {
  clients: ChainClients
  deployment: Deployment
  tokens: { payment: TokenInfo; collateral: TokenInfo }
}
export type TokenInfo = { address: `0x${string}`; symbol: string; decimals: number }

/**
 * Connects a command to the market: reads the deployment file, unlocks the
 * account, and checks that the RPC endpoint serves the deployment's chain.
 */
export async function connect(settings: Settings, resolved?: ResolvedSettings): Promise<Connection> {
  const deployment = await readDeployment(settings.deployment!)
  const account = await commandAccount(settings)
  // Nonces are counted in memory per process: one remembered from an earlier chain at this id (a restarted dev chain) would never be mined.
  account.nonceManager?.reset({ address: account.address, chainId: deployment.chainId })
  // A deployment file written by `allot chain dev` names its endpoint; an explicit --rpc/ALLOT_RPC wins.
  const rpcUrl = resolved?.sources.rpc === 'default' && deployment.rpcUrl ? deployment.rpcUrl : settings.rpc!
  const clients = createChainClients({ rpcUrl, account, chainId: deployment.chainId })
  let chainId: number
  try {
    chainId = await clients.public.getChainId()
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_chainId', rpcUrl })
  }
  if (chainId !== deployment.chainId) throw new ChainMismatchError({ expected: deployment.chainId, actual: chainId })
  const [payment, collateral] = await Promise.all([tokenInfo(clients, deployment.paymentToken), tokenInfo(clients, deployment.collateralToken)])
  rememberTokens({ payment, collateral })
  return { clients, deployment, tokens: { payment, collateral } }
}

async function tokenInfo(clients: ChainClients, address: `0x${string}`): Promise<TokenInfo> {
  const [symbol, decimals] = await Promise.all([
    clients.public.readContract({ address, abi: erc20Abi, functionName: 'symbol' }),
    clients.public.readContract({ address, abi: erc20Abi, functionName: 'decimals' }),
  ])
  return { address, symbol, decimals }
}
