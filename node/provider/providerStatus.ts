import { erc20Abi, type Address, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { BPS } from '../../protocol/constants.ts'
import { askUtilization } from '../../protocol/pricing/askUtilization.ts'
import type { Resources, Runtime as RuntimeKind } from '../../protocol/types/resources.ts'
import type { UnitPrices } from '../../protocol/types/ask.ts'
import { getEffectiveFactors, getHealthFactor, getMaxDealCollateral, getParameters, getPosition } from '../chain/actions/readMarket.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'
import type { Provider } from './createProvider.ts'

export type ProviderStatusComponents = {
  provider: Pick<Provider, 'status'>
  clients: ChainClients
  deployment: Pick<Deployment, 'market' | 'paymentToken' | 'collateralToken'>
}

export type TokenDescription = { address: Address; symbol: string; decimals: number }

export type ProviderStatusOptions = {
  /** The market's tokens, when the caller already read them; read from the chain otherwise. */
  tokens?: { payment: TokenDescription; collateral: TokenDescription }
}

/**
 * A running provider seen whole. Amounts are base units: `collateral` and
 * `pendingWithdrawal` of the collateral token, everything else of the payment token.
 */
export type ProviderStatusSnapshot = {
  address: Address
  peerId: string
  /** The market this provider sells in. */
  market: Address
  position: {
    collateral: bigint
    pendingWithdrawal: bigint
    withdrawableAt: bigint
    obligations: bigint
    coverage: bigint
    /** Payment-token value of the collateral at the oracle price; null while the price is stale. */
    collateralValue: bigint | null
    /** WAD (1e18 = 1.0); the maximum uint256 with no obligations; null while the price is stale. */
    healthFactor: bigint | null
    /** Deal collateral the chain lets this position back now, less terms signed and not yet opened. */
    backingRoom: bigint
    /** What the chain alone says (null while the price is stale). */
    chainBackingRoom: bigint | null
    /** In force now, after the market's volatility cut; the `base` ones apply when the price is calm. */
    collateralFactorBps: number
    liquidationThresholdBps: number
    baseCollateralFactorBps: number
    baseLiquidationThresholdBps: number
  }
  /** The ask the provider advertises now; null before its first. */
  ask: {
    prices: UnitPrices
    capacity: Resources
    /** Free now, which may be less than the published ask says until it is re-signed. */
    free: Resources
    /** WAD, now: the busiest priced resource's reserved share, which sets the price. */
    utilization: bigint
    runtimes: RuntimeKind[]
    collateralBps: number
    minDuration: number
    maxDuration: number
    /** Unix seconds. */
    expiry: number
  } | null
  runtimes: RuntimeKind[]
  gpus: { uuid: string; index: number; model: string; vramMiB: number; heldBy: Hex | null }[]
  jobs: {
    /** Terms signed, waiting for the client to open the deal. */
    offered: number
    /** Deals opened whose result is not committed yet. */
    running: number
    /** Deals whose result was committed (settled or not). */
    done: number
    /** Deals that missed their deadline or were liquidated. */
    failed: number
    /** Terms never opened. */
    expired: number
    declinedProposals: number
  }
  earnings: {
    /** Committed deals not settled yet: their prices less the protocol fee in force now. */
    pending: bigint
    /** What settled deals paid, from their DealSettled events. */
    settled: bigint
  }
  tokens: { payment: TokenDescription; collateral: TokenDescription }
}

/**
 * The one snapshot of a provider that `allot provider status` and the dashboard read:
 * its position on chain, its ask, its GPUs, its jobs and its earnings.
 *
 * @example
 * const snapshot = await providerStatus({ provider: node.provider, clients: node.clients, deployment: node.deployment })
 */
export async function providerStatus({ provider, clients, deployment }: ProviderStatusComponents, options: ProviderStatusOptions = {}): Promise<ProviderStatusSnapshot> {
  const local = await provider.status()
  const read = { deployment, provider: local.address }
  const optional = <T>(promise: Promise<T>) => promise.catch((error: unknown) => (isPriceError(error) ? null : Promise.reject(error)))
  const [position, healthFactor, chainBackingRoom, collateralValue, parameters, factors, tokens] = await Promise.all([
    getPosition(clients, read),
    optional(getHealthFactor(clients, read)),
    optional(getMaxDealCollateral(clients, read)),
    optional(readCollateralValue(clients, read)),
    getParameters(clients, { deployment }),
    getEffectiveFactors(clients, { deployment }),
    options.tokens ?? readTokens(clients, deployment),
  ])
  const ask = local.ask?.ask
  const { jobs } = local
  return {
    address: local.address,
    peerId: local.peerId,
    market: deployment.market,
    position: {
      collateral: position.collateral,
      pendingWithdrawal: position.pendingWithdrawal,
      withdrawableAt: BigInt(position.withdrawableAt),
      obligations: position.obligations,
      coverage: position.coverage,
      collateralValue,
      healthFactor,
      backingRoom: local.backingRoom,
      chainBackingRoom,
      collateralFactorBps: Number(factors.collateralFactorBps),
      liquidationThresholdBps: Number(factors.liquidationThresholdBps),
      baseCollateralFactorBps: parameters.collateralFactorBps,
      baseLiquidationThresholdBps: parameters.liquidationThresholdBps,
    },
    ask: ask
      ? {
          prices: ask.prices,
          capacity: ask.capacity,
          free: local.free,
          utilization: askUtilization({ ...ask, free: local.free }),
          runtimes: ask.runtimes,
          collateralBps: ask.collateralBps,
          minDuration: ask.minDuration,
          maxDuration: ask.maxDuration,
          expiry: ask.expiry,
        }
      : null,
    runtimes: local.runtimes,
    gpus: local.gpus,
    jobs: {
      offered: jobs.offered,
      running: jobs.accepted + jobs.running + jobs.finished,
      done: jobs.committed + jobs.delivered + jobs.settled,
      failed: jobs.failed,
      expired: jobs.expired,
      declinedProposals: local.counters.declined,
    },
    earnings: {
      // As the market computes its fee (rounded down), so the estimate is what settle will pay at today's fee.
      pending: local.earnings.committedPrices - (local.earnings.committedPrices * BigInt(parameters.protocolFeeBps)) / BPS,
      settled: local.earnings.settled,
    },
    tokens,
  }
}

function isPriceError(error: unknown): boolean {
  const name = (error as { errorName?: string }).errorName
  return name === 'StalePrice' || name === 'InvalidPrice'
}

async function readCollateralValue(clients: ChainClients, { deployment, provider }: { deployment: Pick<Deployment, 'market'>; provider: Address }) {
  try {
    return await clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'collateralValue', args: [provider] })
  } catch (error) {
    throw toChainError(error, { functionName: 'collateralValue', rpcUrl: clients.rpcUrl })
  }
}

async function readTokens(clients: ChainClients, deployment: Pick<Deployment, 'paymentToken' | 'collateralToken'>) {
  const describe = async (address: Address): Promise<TokenDescription> => {
    try {
      const [symbol, decimals] = await Promise.all([
        clients.public.readContract({ address, abi: erc20Abi, functionName: 'symbol' }),
        clients.public.readContract({ address, abi: erc20Abi, functionName: 'decimals' }),
      ])
      return { address, symbol, decimals }
    } catch (error) {
      throw toChainError(error, { functionName: 'symbol', rpcUrl: clients.rpcUrl })
    }
  }
  const [payment, collateral] = await Promise.all([describe(deployment.paymentToken), describe(deployment.collateralToken)])
  return { payment, collateral }
}
