import { erc20Abi } from 'viem'
import { createChainClients, type ChainClients } from '../node/chain/clients.ts'
import { readDeployment, type Deployment } from '../node/chain/deployment.ts'
import { ChainMismatchError, toChainError } from '../node/chain/errors.ts'
import { resolveMarket } from '../node/chain/resolveMarket.ts'
import { commandAccount, readOnlyAccount } from './account.ts'
import { rememberTokens } from './explainError.ts'
import type { ResolvedSettings, Settings } from './settings.ts'

export type Connection = {
  clients: ChainClients
  /** The deployment as seen from the chosen market (`--market`; the deployment's default market without it). */
  deployment: Deployment
  /** The deployment file's own market, the one used when none is chosen. */
  defaultMarket: `0x${string}`
  tokens: { payment: TokenInfo; collateral: TokenInfo }
}
export type ConnectOptions = {
  /**
   * A command that only reads unlocks nothing: `as-me` reads as this home's address (its balance, its
   * position), `anyone` needs no key at all (the market's own state).
   */
  reads?: 'as-me' | 'anyone' | undefined
}
export type TokenInfo = { address: `0x${string}`; symbol: string; decimals: number }

/**
 * Connects a command to the market: reads the deployment file, unlocks the
 * account, checks that the RPC endpoint serves the deployment's chain, and
 * chooses the market (`--market`, ALLOT_MARKET or the config key; the
 * deployment's default market otherwise), which the factory must have created.
 */
export async function connect(settings: Settings, resolved?: ResolvedSettings, { reads }: ConnectOptions = {}): Promise<Connection> {
  const file = await readDeployment(settings.deployment!)
  const account = reads ? await readOnlyAccount(settings, { required: reads === 'as-me' }) : await commandAccount(settings)
  // Nonces are counted in memory per process: one remembered from an earlier chain at this id (a restarted dev chain) would never be mined.
  account.nonceManager?.reset({ address: account.address, chainId: file.chainId })
  // A deployment file written by `allot chain dev` names its endpoint; an explicit --rpc/ALLOT_RPC wins.
  const rpcUrl = resolved?.sources.rpc === 'default' && file.rpcUrl ? file.rpcUrl : settings.rpc!
  const clients = createChainClients({ rpcUrl, account, chainId: file.chainId })
  let chainId: number
  try {
    chainId = await clients.public.getChainId()
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_chainId', rpcUrl })
  }
  if (chainId !== file.chainId) throw new ChainMismatchError({ expected: file.chainId, actual: chainId })
  const deployment = await resolveMarket(clients, { deployment: file, market: settings.market }).catch((error) => {
    throw toChainError(error, { functionName: 'isMarket', rpcUrl })
  })
  const [payment, collateral] = await Promise.all([tokenInfo(clients, deployment.paymentToken), tokenInfo(clients, deployment.collateralToken)])
  rememberTokens({ payment, collateral })
  return { clients, deployment, defaultMarket: file.market, tokens: { payment, collateral } }
}

async function tokenInfo(clients: ChainClients, address: `0x${string}`): Promise<TokenInfo> {
  const [symbol, decimals] = await Promise.all([
    clients.public.readContract({ address, abi: erc20Abi, functionName: 'symbol' }),
    clients.public.readContract({ address, abi: erc20Abi, functionName: 'decimals' }),
  ])
  return { address, symbol, decimals }
}
