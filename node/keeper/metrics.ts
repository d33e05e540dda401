import { Counter, Gauge, type Registry } from 'prom-client'
import { metricsOnce } from '../metrics/metricsOnce.ts'
import type { Keeper } from './index.ts'

function createKeeperMetrics(registry: Registry) {
  let keeper: Keeper | undefined
  const labelNames = ['kind'] as const
  return {
    watch: (next: Keeper) => void (keeper = next),
    attempted: new Counter({ name: 'allot_keeper_liquidations_attempted_total', help: 'Liquidations sent, by kind (deal, position).', labelNames, registers: [registry] }),
    won: new Counter({ name: 'allot_keeper_liquidations_won_total', help: 'Liquidations mined for this keeper, by kind.', labelNames, registers: [registry] }),
    lost: new Counter({ name: 'allot_keeper_liquidations_lost_total', help: 'Liquidations another keeper mined first (or a position that became healthy), by kind.', labelNames, registers: [registry] }),
    failed: new Counter({ name: 'allot_keeper_liquidations_failed_total', help: 'Liquidations that failed otherwise, by kind.', labelNames, registers: [registry] }),
    skipped: new Counter({ name: 'allot_keeper_liquidations_skipped_total', help: 'Liquidations weighed and not sent, by kind and reason.', labelNames: ['kind', 'reason'] as const, registers: [registry] }),
    bonus: new Counter({ name: 'allot_keeper_bonus_total', help: 'Deal-liquidation bonuses received, in payment-token base units.', registers: [registry] }),
    gas: new Counter({ name: 'allot_keeper_gas_used_total', help: 'Gas used by this keeper’s mined liquidations.', registers: [registry] }),
    repaid: new Counter({ name: 'allot_keeper_position_repaid_total', help: 'Payment-token base units put into unhealthy positions’ coverage.', registers: [registry] }),
    seized: new Counter({ name: 'allot_keeper_position_collateral_seized_total', help: 'Collateral-token base units received for covering positions.', registers: [registry] }),
    tracked: new Gauge({
      name: 'allot_keeper_tracked',
      help: 'Deals and providers the keeper is watching, by what.',
      labelNames: ['what'] as const,
      registers: [registry],
      collect() {
        if (!keeper) return
        const { dealsTracked, providersTracked } = keeper.metrics()
        this.set({ what: 'deals' }, dealsTracked)
        this.set({ what: 'providers' }, providersTracked)
      },
    }),
    headLag: new Gauge({
      name: 'allot_keeper_head_lag_blocks',
      help: 'Blocks between the newest block the keeper saw and the last one whose events it handled.',
      registers: [registry],
      collect() {
        const metrics = keeper?.metrics()
        if (metrics?.lastBlock !== undefined && metrics.cursor) this.set(Number(metrics.lastBlock - metrics.cursor.block))
      },
    }),
  }
}

/**
 * Puts a keeper's series on `registry`: liquidations attempted, won, lost, failed and
 * skipped; bonus (its profit in payment tokens) and gas; what it tracks and how far it lags.
 * It listens to the keeper's events, so the keeper itself knows nothing of metrics.
 *
 * @example
 * recordKeeperMetrics(registry, keeper)
 */
export function recordKeeperMetrics(registry: Registry, keeper: Keeper): void {
  const metrics = metricsOnce(registry, createKeeperMetrics)
  metrics.watch(keeper)
  keeper.addEventListener('liquidated', ({ detail }) => {
    metrics.attempted.inc({ kind: detail.kind })
    metrics.won.inc({ kind: detail.kind })
    metrics.gas.inc(Number(detail.gasUsed))
    if (detail.kind === 'deal') metrics.bonus.inc(Number(detail.keeperBonus))
    else {
      metrics.repaid.inc(Number(detail.repaid))
      metrics.seized.inc(Number(detail.collateralSeized))
    }
  })
  keeper.addEventListener('lostRace', ({ detail }) => {
    metrics.attempted.inc({ kind: detail.kind })
    metrics.lost.inc({ kind: detail.kind })
  })
  keeper.addEventListener('skipped', ({ detail }) => metrics.skipped.inc({ kind: detail.kind, reason: detail.reason }))
  keeper.addEventListener('error', ({ detail }) => {
    if (!detail.kind || !detail.target) return
    metrics.attempted.inc({ kind: detail.kind })
    metrics.failed.inc({ kind: detail.kind })
  })
}
