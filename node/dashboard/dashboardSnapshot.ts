import { getAddress, maxUint256, type Address } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { WAD } from '../../protocol/constants.ts'
import { marketStats } from '../../protocol/pricing/marketStats.ts'
import { pricingCurvePoints } from '../../protocol/pricing/pricingCurvePoints.ts'
import { DEFAULT_PRICING_CURVE } from '../../protocol/pricing/pricingCurve.ts'
import { utilizationMultiplier } from '../../protocol/pricing/utilizationMultiplier.ts'
import type { AskEntry } from '../../protocol/types/ask.ts'
import { getHealthFactor, getMaxDealCollateral, getPosition } from '../chain/actions/readMarket.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { MarketLedger } from './marketLedger.ts'
import type { MetricsHistory } from './metricsHistory.ts'
import { readLocalProvider } from './readLocalProvider.ts'

export type TokenInfo = { symbol: string; decimals: number }

export type DashboardSnapshotComponents = {
  clients: ChainClients
  deployment: Deployment
  tokens: { payment: TokenInfo; collateral: TokenInfo }
  asks: () => AskEntry[]
  ledger: MarketLedger
  history: MetricsHistory
  /** Where a provider of this home writes control.json. */
  home: string
}

/**
 * Everything the dashboard page shows, read now: the book with its stats and the pricing
 * curve (as `allot market stats`), each provider's position (as `allot stake status`),
 * deals, liquidations, the insurance fund, and this node's metrics over the last hour.
 *
 * @example
 * const snapshot = await dashboardSnapshot({ clients, deployment, tokens, asks: () => orderBook.asks(), ledger, history, home })
 */
export async function dashboardSnapshot(components: DashboardSnapshotComponents) {
  const { clients, deployment, ledger } = components
  const now = Math.floor(Date.now() / 1000)
  const asks = components.asks().filter(({ ask }) => ask.expiry > now)
  const stats = marketStats(asks.map(({ ask }) => ask), { now })
  const today = [
    { resource: 'cpu', utilization: stats.usage.cpuMillicores.utilization },
    { resource: 'memory', utilization: stats.usage.memoryMiB.utilization },
    ...stats.usage.gpuModels.map((usage) => ({ resource: usage.model, utilization: usage.utilization })),
  ].map((point) => ({ ...point, multiplier: utilizationMultiplier(point.utilization, DEFAULT_PRICING_CURVE) }))

  // Asks carry addresses as signed (lower case), events checksummed: one form for both.
  const addresses = [...new Set<Address>([...asks.map(({ ask }) => ask.provider), ...ledger.providers()].map((address) => getAddress(address)))]
  const providers = await Promise.all(
    addresses.map(async (provider) => {
      const [position, healthFactor, canBack] = await Promise.all([
        getPosition(clients, { deployment, provider }),
        getHealthFactor(clients, { deployment, provider }).catch(() => undefined),
        getMaxDealCollateral(clients, { deployment, provider }).catch(() => undefined),
      ])
      return {
        provider,
        collateral: position.collateral,
        obligations: position.obligations,
        coverage: position.coverage,
        healthFactor: healthFactor === undefined ? null : healthFactor === maxUint256 ? 'infinite' : (Number(healthFactor) / Number(WAD)).toFixed(3),
        canBack,
        earned: ledger.earnings(provider),
        inBook: asks.some(({ ask }) => ask.provider.toLowerCase() === provider.toLowerCase()),
      }
    }),
  )
  const read = (functionName: 'insuranceFund' | 'insuranceCollateral') => clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName })
  const [insuranceFund, insuranceCollateral, localProvider] = await Promise.all([read('insuranceFund'), read('insuranceCollateral'), readLocalProvider(components.home)])

  return {
    at: Date.now(),
    market: { address: deployment.market, chainId: deployment.chainId, block: ledger.head() ?? null },
    tokens: components.tokens,
    book: {
      asks: asks.map(({ hash, ask }) => ({ hash, provider: getAddress(ask.provider), runtimes: ask.runtimes, capacity: ask.capacity, free: ask.free, prices: ask.prices, collateralBps: ask.collateralBps, expiry: ask.expiry })),
      stats,
      curve: pricingCurvePoints(),
      today,
    },
    providers,
    localProvider: localProvider ?? null,
    deals: ledger.deals().slice(0, 100),
    liquidations: ledger.liquidations().slice(0, 50),
    insurance: { fund: insuranceFund, collateral: insuranceCollateral },
    metrics: components.history.points(),
  }
}

export type DashboardSnapshot = Awaited<ReturnType<typeof dashboardSnapshot>>
