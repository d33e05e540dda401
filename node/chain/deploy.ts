import { keccak256, parseUnits, zeroAddress, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  allotMarketBytecode,
  allotMarketFactoryAbi,
  allotMarketFactoryBytecode,
  mockERC20Abi,
  mockERC20Bytecode,
  mockPriceFeedAbi,
  mockPriceFeedBytecode,
} from '../../contracts/abi/index.ts'
import { logger } from '../log/logger.ts'
import { createChainClients, devPrivateKeys, type ChainClients } from './clients.ts'
import { createMarket, defaultMarketParameters, type MarketParameters } from './createMarket.ts'
import type { Deployment } from './deployment.ts'
import { toChainError } from './errors.ts'

const log = logger('chain:deploy')

export { defaultMarketParameters, type MarketParameters }

export type DeployDevMarketParameters = {
  rpcUrl: string
  chainId?: number
  /** Deploys from this key; anvil's first dev key by default. */
  deployerKey?: Hex
  /** `separate` (default): an 18-decimal collateral token priced by a feed; `same`: collateral is the payment token, no feed. */
  collateral?: 'separate' | 'same'
  /** Collateral price in payment units with 8 decimals, as a Chainlink feed reports it. */
  collateralPrice?: bigint
  parameters?: Partial<MarketParameters>
  /** Accounts that receive payment and collateral tokens. */
  fund?: { accounts: Address[]; payment: bigint; collateral: bigint }
  signal?: AbortSignal
}

/**
 * Deploys a complete local market: a 6-decimal payment token, a collateral token
 * with its price feed (or none when collateral is the payment token), the market
 * factory, and a market created through it with the default parameters (the
 * deployer is its arbiter and fee recipient; nobody owns it); then mints tokens to
 * the accounts to fund.
 *
 * @returns the deployment record to write to the deployment file.
 */
export async function deployDevMarket(parameters: DeployDevMarketParameters): Promise<Deployment> {
  const { rpcUrl, chainId = 31337, deployerKey = devPrivateKeys[0], collateral = 'separate', collateralPrice = 2n * 10n ** 8n, signal } = parameters
  const clients = createChainClients({ rpcUrl, chainId, account: privateKeyToAccount(deployerKey) })
  const deployer = clients.wallet.account.address
  try {
    const deploymentBlock = Number(await clients.public.getBlockNumber())
    const paymentToken = await deploy(clients, mockERC20Abi, mockERC20Bytecode, ['Test USD', 'tUSD', 6])
    let collateralToken = paymentToken
    let priceFeed: Address | undefined
    if (collateral === 'separate') {
      collateralToken = await deploy(clients, mockERC20Abi, mockERC20Bytecode, ['Allot Stake', 'ALS', 18])
      priceFeed = await deploy(clients, mockPriceFeedAbi, mockPriceFeedBytecode, [8, collateralPrice, 'ALS / tUSD'])
    }
    const params = { ...defaultMarketParameters, ...parameters.parameters }
    const factory = await deploy(clients, allotMarketFactoryAbi, allotMarketFactoryBytecode, [keccak256(allotMarketBytecode)])
    const { market } = await createMarket(clients, {
      factory,
      config: { paymentToken, collateralToken, priceFeed: priceFeed ?? zeroAddress, arbiter: deployer, feeRecipient: deployer, params },
      signal,
    })
    if (parameters.fund) {
      for (const account of parameters.fund.accounts) {
        signal?.throwIfAborted()
        await mint(clients, paymentToken, account, parameters.fund.payment)
        if (collateralToken !== paymentToken) await mint(clients, collateralToken, account, parameters.fund.collateral)
      }
    }
    log('market %s deployed on chain %d', market, chainId)
    return { chainId, rpcUrl, market, factory, markets: [market], paymentToken, collateralToken, priceFeed, deploymentBlock }
  } catch (error) {
    throw toChainError(error, { functionName: 'deploy', rpcUrl })
  }
}

/** Default funding for dev accounts: 1,000,000 tUSD and 1,000,000 ALS each. */
export const devFunding = { payment: parseUnits('1000000', 6), collateral: parseUnits('1000000', 18) }

async function deploy(clients: ChainClients, abi: readonly unknown[], bytecode: Hex, args: readonly unknown[]): Promise<Address> {
  const hash = await clients.wallet.deployContract({ abi, bytecode, args } as never)
  const receipt = await clients.public.waitForTransactionReceipt({ hash })
  if (!receipt.contractAddress) throw new Error(`deployment transaction ${hash} created no contract`)
  return receipt.contractAddress
}

async function mint(clients: ChainClients, token: Address, to: Address, amount: bigint) {
  const hash = await clients.wallet.writeContract({ address: token, abi: mockERC20Abi, functionName: 'mint', args: [to, amount] } as never)
  await clients.public.waitForTransactionReceipt({ hash })
}
