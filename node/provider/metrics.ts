import { maxUint256, type Address } from 'viem'
import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { getHealthFactor, getPosition } from '../chain/actions/readMarket.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { MarketEvent } from '../chain/events/types.ts'
import { logger } from '../log/logger.ts'
import { metricsOnce } from '../metrics/metricsOnce.ts'
import type { JobRecords, JobState } from './jobRecords.ts'

const log = logger('provider:metrics')
// Results committed and not yet settled: what `allot provider status` calls pending earnings.
const pendingStates: JobState[] = ['committed', 'delivered']
const allStates: JobState[] = ['offered', 'accepted', 'running', 'finished', 'committed', 'delivered', 'settled', 'failed', 'expired']

/** What the scrape-time series read: the provider's records, and its position on chain. */
export type ProviderMetricsSource = {
  records: JobRecords
  clients: ChainClients
  deployment: Pick<Deployment, 'market'>
  address: Address
  backingRoom: () => bigint
}

function createProviderMetrics(registry: Registry) {
  let source: ProviderMetricsSource | undefined
  // A read that failed leaves the series as they were: a scrape never fails because the chain is away.
  const readPositionNow = async () => {
    if (!source) return undefined
    const { clients, deployment, address } = source
    try {
      // A stale price feed makes the health factor unreadable, not the position.
      const [position, healthFactor] = await Promise.all([getPosition(clients, { deployment, provider: address }), getHealthFactor(clients, { deployment, provider: address }).catch(() => undefined)])
      return { ...position, healthFactor }
    } catch (error) {
      log.error('reading the position: %s', (error as Error).message)
      return undefined
    }
  }
  // Both position series read the chain once per scrape.
  let lastRead: { at: number; value: ReturnType<typeof readPositionNow> } | undefined
  const readPosition = () => {
    if (!lastRead || Date.now() - lastRead.at > 1_000) lastRead = { at: Date.now(), value: readPositionNow() }
    return lastRead.value
  }
  const healthFactor = new Gauge({
    name: 'allot_provider_health_factor',
    help: 'The position’s health factor (below 1 it can be liquidated; +Inf with no obligations, NaN while the price feed is stale).',
    registers: [registry],
    async collect() {
      const position = await readPosition()
      if (position) this.set(position.healthFactor === undefined ? NaN : position.healthFactor === maxUint256 ? Infinity : Number(position.healthFactor) / 1e18)
    },
  })
  return {
    healthFactor,
    watch: (next: ProviderMetricsSource) => void (source = next),
    deals: new Gauge({
      name: 'allot_provider_deals',
      help: 'Deals this provider signed terms for, by state of its job record.',
      labelNames: ['state'] as const,
      registers: [registry],
      async collect() {
        if (!source) return
        const counts = Object.fromEntries(allStates.map((state) => [state, 0])) as Record<JobState, number>
        for (const record of await source.records.all()) counts[record.state] += 1
        for (const state of allStates) this.set({ state }, counts[state])
      },
    }),
    earned: new Counter({
      name: 'allot_provider_earned_total',
      help: 'Payment-token base units paid to this provider by settled deals (DealSettled payouts, after the protocol fee), counted as their events arrive.',
      registers: [registry],
    }),
    pendingEarnings: new Gauge({
      name: 'allot_provider_pending_earnings',
      help: 'Prices of this provider’s deals whose result is committed and not yet settled, in payment-token base units.',
      registers: [registry],
      async collect() {
        if (!source) return
        let pending = 0n
        for (const record of await source.records.all()) if (pendingStates.includes(record.state)) pending += record.terms.price
        this.set(Number(pending))
      },
    }),
    jobs: new Counter({
      name: 'allot_provider_jobs_total',
      help: 'Job runs finished, by runtime and outcome (succeeded, exited_nonzero, failed, error).',
      labelNames: ['runtime', 'outcome'] as const,
      registers: [registry],
    }),
    jobSeconds: new Histogram({
      name: 'allot_provider_job_duration_seconds',
      help: 'Wall-clock time of job runs, by runtime.',
      labelNames: ['runtime'] as const,
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 7200],
      registers: [registry],
    }),
    position: new Gauge({
      name: 'allot_provider_position',
      help: 'The provider’s position on chain in token base units: collateral (collateral token), obligations and coverage (payment token).',
      labelNames: ['part'] as const,
      registers: [registry],
      async collect() {
        const position = await readPosition()
        if (!position) return
        this.set({ part: 'collateral' }, Number(position.collateral))
        this.set({ part: 'obligations' }, Number(position.obligations))
        this.set({ part: 'coverage' }, Number(position.coverage))
      },
    }),
    backingRoom: new Gauge({
      name: 'allot_provider_backing_room',
      help: 'Deal collateral the position can still back, in payment-token base units, less terms signed but not yet opened.',
      registers: [registry],
      collect() {
        if (source) this.set(Number(source.backingRoom()))
      },
    }),
  }
}

/** The provider series of a node: deals by state, jobs, durations, earnings, position, health factor, backing room. */
export const providerMetrics = (registry: Registry) => metricsOnce(registry, createProviderMetrics)

/** Counts what a market event means for this provider's series: its DealSettled payouts. */
export function observeProviderEvent(metrics: ProviderMetrics, event: MarketEvent, provider: Address): void {
  if (event.eventName === 'DealSettled' && event.args.provider.toLowerCase() === provider.toLowerCase()) metrics.earned.inc(Number(event.args.providerAmount))
  if (event.eventName === 'DealsSettled' && event.args.provider.toLowerCase() === provider.toLowerCase()) metrics.earned.inc(Number(event.args.total))
}

/** How a finished job run is counted in `allot_provider_jobs_total`. */
export function jobOutcome(result: { exitCode: number; failure?: unknown } | undefined): string {
  if (!result) return 'error'
  if (result.failure) return 'failed'
  return result.exitCode === 0 ? 'succeeded' : 'exited_nonzero'
}

export type ProviderMetrics = ReturnType<typeof providerMetrics>
