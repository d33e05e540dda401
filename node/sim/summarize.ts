import type { SeedResult } from './runScenario.ts'

/** Pooled delays in blocks. */
export type Delays = { p50: number; p99: number; max: number; count: number }

const delays = (values: readonly number[]): Delays => ({ p50: percentile(values, 0.5), p99: percentile(values, 0.99), max: values.length ? Math.max(...values) : 0, count: values.length })

/** Mean, 95th and 99th percentile of one figure over the seeds. */
export type Spread = { mean: number; p95: number; p99: number; max: number }

/** One scenario over many seeds: the figures lending markets publish, each with its spread. */
export type ScenarioSummary = {
  scenario: string
  seeds: number
  /** Deals opened per seed (mean) and simulated days per seed. */
  deals: number
  simDays: number
  badDebtPctOfSlashed: Spread
  badDebt: Spread
  providerShortfallPctOfSlashed: Spread
  slashedValue: Spread
  honestSlashed: Spread
  liquidationDelayBlocks: { p50: number; p99: number; max: number; count: number }
  liquidationDelayLiveBlocks: { p50: number; p99: number; max: number; count: number }
  /** Keeper dropout scenarios: delays of what fell due while every keeper was offline and after they came back (pooled over seeds), and the blocks the backlog took to clear. */
  dropout?: { during: Delays; after: Delays; recoveryBlocks: Spread }
  zeroValueLiquidations: Spread
  unprofitableLiquidations: Spread
  lostRaces: Spread
  compensationPaidPct: Spread
  insuranceFundEnd: Spread
  keeperProfit: Record<string, Spread>
  selfDealExits: Spread
  dealsRefused: Spread
  utilizationMean: Spread
  utilizationAboveKinkShare: Spread
  elasticityAboveKink: Spread | undefined
  capitalEfficiency: Spread
  seconds: number
  ignoredParameters: string[]
}

/** The value below which a share `p` of `values` lies (nearest rank). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return 0
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!
}

export function spread(values: readonly number[]): Spread {
  if (values.length === 0) return { mean: 0, p95: 0, p99: 0, max: 0 }
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, p95: percentile(values, 0.95), p99: percentile(values, 0.99), max: Math.max(...values) }
}

/**
 * Folds the seeds of one scenario into its summary. Delays are pooled over every liquidation of every
 * seed (a percentile of liquidations, not of seeds); the other figures are spread over seeds.
 */
export function summarize(results: readonly SeedResult[]): ScenarioSummary {
  const of = (pick: (r: SeedResult) => number) => spread(results.map(pick))
  const dropouts = results.flatMap((r) => (r.dropout ? [r.dropout] : []))
  const elasticities = results.map((r) => r.elasticityAboveKink).filter((e): e is number => e !== undefined)
  const keepers = [...new Set(results.flatMap((r) => Object.keys(r.keeperProfit)))]
  return {
    scenario: results[0]?.scenario ?? 'none',
    seeds: results.length,
    deals: results.reduce((s, r) => s + r.dealsOpened, 0) / Math.max(1, results.length),
    simDays: results[0]?.simDays ?? 0,
    badDebtPctOfSlashed: of((r) => r.badDebtPctOfSlashed),
    badDebt: of((r) => r.badDebt),
    providerShortfallPctOfSlashed: of((r) => r.providerShortfallPctOfSlashed),
    slashedValue: of((r) => r.slashedValue),
    honestSlashed: of((r) => r.honestSlashed),
    liquidationDelayBlocks: delays(results.flatMap((r) => r.liquidationDelays)),
    liquidationDelayLiveBlocks: delays(results.flatMap((r) => r.liquidationDelaysLive)),
    ...(dropouts.length
      ? { dropout: { during: delays(dropouts.flatMap((d) => d.delaysDuring)), after: delays(dropouts.flatMap((d) => d.delaysAfter)), recoveryBlocks: spread(dropouts.map((d) => d.recoveryBlocks)) } }
      : {}),
    zeroValueLiquidations: of((r) => r.zeroValueLiquidations),
    unprofitableLiquidations: of((r) => r.unprofitableLiquidations),
    lostRaces: of((r) => r.lostRaces),
    compensationPaidPct: of((r) => r.compensationPaidPct),
    insuranceFundEnd: of((r) => r.insuranceFundEnd),
    keeperProfit: Object.fromEntries(keepers.map((k) => [k, of((r) => r.keeperProfit[k] ?? 0)])),
    selfDealExits: of((r) => r.selfDealExits),
    dealsRefused: of((r) => r.dealsRefused),
    utilizationMean: of((r) => r.utilizationMean),
    utilizationAboveKinkShare: of((r) => r.utilizationAboveKinkShare),
    elasticityAboveKink: elasticities.length ? spread(elasticities) : undefined,
    capitalEfficiency: of((r) => r.capitalEfficiency),
    seconds: results.reduce((s, r) => s + r.seconds, 0),
    ignoredParameters: results[0]?.ignoredParameters ?? [],
  }
}

/**
 * The last-line figures of `npm run sim:crash` (issue 13's targets). Bad debt is what the market could not pay
 * after the insurance fund stepped in (its public `badDebt()` ledger), as a share of slashed value: mean over seeds
 * and p99 over seeds (with few seeds, the worst one). The shortfall before insurance is what providers' collateral
 * and coverage could not pay, which the fund covered: it is printed beside it, so that a fund that hides losses shows.
 */
export function targetLine(summary: ScenarioSummary, seconds: number) {
  const round = (x: number, digits = 4) => Number(x.toFixed(digits))
  return {
    scenario: summary.scenario,
    seeds: summary.seeds,
    deals: Math.round(summary.deals),
    simDays: summary.simDays,
    badDebtPctOfSlashed: round(summary.badDebtPctOfSlashed.mean),
    badDebtP99Pct: round(summary.badDebtPctOfSlashed.p99),
    honestSlashed: summary.honestSlashed.max,
    zeroValueLiquidations: summary.zeroValueLiquidations.max,
    liquidationDelayP99Blocks: summary.liquidationDelayLiveBlocks.p99,
    compensationPaidPct: round(summary.compensationPaidPct.mean, 3),
    shortfallBeforeInsurancePct: round(summary.providerShortfallPctOfSlashed.mean),
    shortfallBeforeInsuranceP99Pct: round(summary.providerShortfallPctOfSlashed.p99),
    seconds: round(seconds, 1),
  }
}
