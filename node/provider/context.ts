import type { Registry } from 'prom-client'
import type { Hex } from 'viem'
import type { PricingCurve } from '../../protocol/pricing/pricingCurve.ts'
import type { SignedAsk, UnitPrices } from '../../protocol/types/ask.ts'
import type { Resources, Runtime as RuntimeKind } from '../../protocol/types/resources.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { Logger } from '../log/logger.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import type { Store } from '../store/openStore.ts'
import type { CapacityLedger } from '../runtime/resources/capacityLedger.ts'
import type { Runtime } from '../runtime/runtime.ts'
import type { JobRecords } from './jobRecords.ts'
import type { LogBook } from './logBook.ts'
import type { ProviderMetrics } from './metrics.ts'

/** Where a provider publishes its asks: the order book, or anything with the same call. */
export type AskPublisher = { publishAsk: (signed: SignedAsk, options?: { signal?: AbortSignal }) => Promise<void> }

export type ProviderComponents = {
  host: P2PHost
  clients: ChainClients
  deployment: Deployment
  store: Store
  ledger: CapacityLedger
  runtimes: Partial<Record<RuntimeKind, Runtime>>
  publisher: AskPublisher
  /** The node's metrics registry: the provider's series go on it. */
  registry: Registry
}

export type ProviderInit = {
  /** The provider's home: job bundles, results and logs live under it. */
  home: string
  prices: UnitPrices
  /** Collateral offered per deal, in basis points of the price. */
  collateralBps?: number
  minDuration?: number
  maxDuration?: number
  /** How long a published ask stays valid; it is re-signed at half that. */
  askTtlSeconds?: number
  /** Time the terms give beyond the job's duration, for fetching inputs and committing. */
  deadlineSlackSeconds?: number
  /** How long signed terms may wait to be opened on chain; capacity stays reserved meanwhile. */
  termsLifetimeSeconds?: number
  maxJobBytes?: number
  pricing?: PricingCurve
  /** How long a proposal may take to arrive and its job to be fetched. */
  negotiationTimeoutMs?: number
  /** How long results and job files of finished deals are kept for their clients. */
  resultRetentionSeconds?: number
  /** How often to ask the chain for new events: how soon an opened deal starts running. */
  chainPollingMs?: number
}

export const defaultProviderInit = {
  collateralBps: 20_000,
  minDuration: 1,
  maxDuration: 24 * 3600,
  askTtlSeconds: 600,
  deadlineSlackSeconds: 120,
  termsLifetimeSeconds: 120,
  maxJobBytes: 64 * 1024 * 1024,
  negotiationTimeoutMs: 30_000,
  resultRetentionSeconds: 7 * 24 * 3600,
  chainPollingMs: 100,
} as const

/** What the provider's parts share while it runs. */
export type ProviderContext = ProviderComponents &
  Required<Omit<ProviderInit, 'pricing'>> & {
    pricing: PricingCurve | undefined
    records: JobRecords
    log: Logger
    address: Hex
    /** What the chain says the position can still back, less terms signed but not yet opened. */
    backingRoom: () => bigint
    /** Collateral of terms signed but not yet opened, by deal id, until their expiry (ms). */
    offers: Map<string, { collateral: bigint; expiresAt: number }>
    refreshBacking: () => Promise<void>
    currentAsk: () => { signed: SignedAsk; hash: Hex } | undefined
    advertisedResources: Resources
    logs: LogBook
    metrics: ProviderMetrics
    signal: AbortSignal
    paths: { jobBundle: (jobHash: Hex) => string; jobFiles: (jobHash: Hex) => string; result: (dealId: Hex) => string; work: string }
    counters: { done: number; failed: number; running: number; declined: number }
    /** Starts the deal's job when its DealOpened event is seen (or on restart). */
    schedule: (dealId: Hex) => void
  }
