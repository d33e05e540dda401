import { judgeSweep, type SweepRun } from './judgeSweep.ts'
import type { SimMarketParameters } from './marketAdapter.ts'
import { runSim } from './runSim.ts'
import { crashScenarios } from './scenarios.ts'
import type { ScenarioSummary } from './summarize.ts'

/** One point of the sweep: a parameter set and how it fared over the crash scenarios. */
export type SweepPoint = {
  parameters: SimMarketParameters
  label: string
  /** Deal value backed per unit of collateral value locked (mean over scenarios and seeds). */
  capitalEfficiency: number
  /** Worst p99 over the crash scenarios of what providers could not pay, % of slashed value (before insurance); with fewer than 100 seeds, the worst seed. */
  shortfallVaR99: number
  /** What providers could not pay over every run, % of all value slashed in them, and its 95 % bootstrap upper bound. */
  pooledShortfallPct: number
  pooledShortfallUpperPct: number
  /** Runs whose shortfall exceeded 0.01 % of their slashed value, of `runs.length`. */
  runsOverTarget: number
  /** Worst p99 over the crash scenarios of the market's bad debt, % of slashed value (after insurance). */
  badDebtVaR99: number
  honestSlashed: number
  zeroValueLiquidations: number
  compensationPaidPct: number
  liquidationDelayP99Blocks: number
  onFrontier: boolean
  /** Met every per-run target and the pooled-shortfall bound (see `sweepRule`). */
  eligible: boolean
  /** Per scenario; absent for a set reused from an earlier run's progress file that did not keep them. */
  summaries?: ScenarioSummary[]
  /** Each seed of each scenario: what the rule reads. */
  runs: SweepRun[]
}

export type SweepResult = {
  points: SweepPoint[]
  /** Sets taken from an earlier run of the same sweep (interrupted, or over a smaller grid) instead of run again. */
  reused: number
  recommended: SweepPoint
  /** Labels of the eligible sets within the noise of the most capital-efficient one (the rule chose among them). */
  tied: string[]
  rule: string
  seconds: number
}

/** How much of the parameter space a sweep covers. */
export type SweepGridSize = 'small' | 'focus' | 'axes' | 'full'
export const sweepGridSizes: readonly SweepGridSize[] = ['small', 'focus', 'axes', 'full']

/**
 * The grid: collateral factor, threshold gap, liquidation and keeper bonuses, close factor and volatility rule.
 * `small` varies CF only; `axes` crosses CF with the threshold gap and moves each other parameter alone around
 * `base` (every axis, at a cost a 2-core machine can pay with three seeds); `focus` is `base` and its nearest
 * neighbours, for many seeds each; `full` crosses everything.
 */
export function sweepGrid(base: SimMarketParameters, size: SweepGridSize = 'small'): SimMarketParameters[] {
  if (size === 'axes') return axesGrid(base)
  if (size === 'focus') return focusGrid(base)
  const cfs = size === 'full' ? [6_000, 7_000, 7_500, 8_000, 8_500, 9_000] : [6_000, 7_000, 8_000, 8_500]
  const gaps = size === 'full' ? [500, 1_000] : [1_000]
  const bonuses = size === 'full' ? [300, 500, 800] : [500]
  const keeperBonuses = size === 'full' ? [300, 500] : [500]
  const closeFactors = size === 'full' ? [5_000, 10_000] : [5_000]
  // The volatility rule: off (CF never cut) or on (cut down to this many bps below CF at full volatility).
  const volatility = size === 'full' ? [0, 2_000] : [2_000]
  const grid: SimMarketParameters[] = []
  for (const cf of cfs)
    for (const gap of gaps)
      for (const liquidationBonusBps of bonuses)
        for (const keeperBonusBps of keeperBonuses)
          for (const closeFactorBps of closeFactors)
            for (const cut of volatility) {
              const liquidationThresholdBps = Math.min(9_800, cf + gap)
              // The contract's bounds: LT × (1 + bonus) < 1, so that a position liquidation raises the health factor,
              // and CF × (1 + keeper bonus + insurance share) <= 1, so that clients are paid first.
              if ((liquidationThresholdBps * (10_000 + liquidationBonusBps)) / 10_000 >= 10_000) continue
              if (cf * (10_000 + keeperBonusBps + base.insuranceBps) > 10_000 * 10_000) continue
              const minCollateralFactorBps = Math.max(1_000, cf - cut)
              grid.push({ ...base, collateralFactorBps: cf, liquidationThresholdBps, liquidationBonusBps, keeperBonusBps, closeFactorBps, minCollateralFactorBps })
            }
  return grid
}

/**
 * CF 70–85 % × LT gap 5 or 10 points at `base`'s other settings, then the liquidation bonus, the keeper bonus and the
 * volatility rule's weight one at a time. The close factor is a constant of this contract (half per block, all below
 * HF 0.95), so it has no axis here (a grid point that sets it is reported as ignored).
 */
function axesGrid(base: SimMarketParameters): SimMarketParameters[] {
  const at = (cf: number, gap: number, change: Partial<SimMarketParameters> = {}): SimMarketParameters => ({ ...base, collateralFactorBps: cf, liquidationThresholdBps: Math.min(9_800, cf + gap), ...change })
  const baseGap = base.liquidationThresholdBps - base.collateralFactorBps
  const grid: SimMarketParameters[] = []
  for (const cf of [7_000, 7_500, 8_000, 8_500]) for (const gap of [500, 1_000]) grid.push(at(cf, gap))
  grid.push(at(base.collateralFactorBps, baseGap, { liquidationBonusBps: 300 }))
  grid.push(at(base.collateralFactorBps, baseGap, { liquidationBonusBps: 800 }))
  grid.push(at(base.collateralFactorBps, baseGap, { keeperBonusBps: 300 }))
  // The volatility rule off (CF and LT never cut), and twice as strong.
  grid.push(at(base.collateralFactorBps, baseGap, { volatilityWeightBps: 0 }))
  grid.push(at(base.collateralFactorBps, baseGap, { volatilityWeightBps: base.volatilityWeightBps * 2 }))
  return grid.filter(validForFactory)
}

/**
 * `base` first, then one step from it on each axis that can move its verdict: the volatility rule off and twice as
 * strong, a larger liquidation bonus, and CF and LT 5 points away — both up, both down, LT up alone, CF down alone,
 * and CF up or LT down alone where the gap leaves room (LT must stay above CF).
 */
function focusGrid(base: SimMarketParameters): SimMarketParameters[] {
  const at = (change: Partial<SimMarketParameters>): SimMarketParameters => ({ ...base, ...change })
  const cf = base.collateralFactorBps
  const lt = base.liquidationThresholdBps
  const factors = (c: number, l: number) => at({ collateralFactorBps: c, liquidationThresholdBps: l })
  return [
    base,
    at({ volatilityWeightBps: 0 }),
    at({ volatilityWeightBps: base.volatilityWeightBps * 2 }),
    at({ liquidationBonusBps: 800 }),
    factors(cf + 500, lt + 500),
    factors(cf - 500, lt - 500),
    factors(cf, lt + 500),
    factors(cf - 500, lt),
    factors(cf + 500, lt),
    factors(cf, lt - 500),
  ].filter((p) => validForFactory(p) && p.liquidationThresholdBps > p.collateralFactorBps)
}

/** The factory's bounds: a position liquidation must raise the health factor, and clients are paid before bonuses. */
const validForFactory = (p: SimMarketParameters) =>
  (p.liquidationThresholdBps * (10_000 + p.liquidationBonusBps)) / 10_000 < 10_000 && p.collateralFactorBps * (10_000 + p.keeperBonusBps + p.insuranceBps) <= 10_000 * 10_000

/** Whether two parameter sets are the same market (every field compared). */
export function sameParameters(a: SimMarketParameters, b: SimMarketParameters): boolean {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as (keyof SimMarketParameters)[])
  return [...keys].every((k) => a[k] === b[k])
}

export const label = (p: SimMarketParameters) =>
  `CF ${p.collateralFactorBps / 100}% LT ${p.liquidationThresholdBps / 100}% bonus ${p.liquidationBonusBps / 100}% keeper ${p.keeperBonusBps / 100}% close ${(p.closeFactorBps ?? 5_000) / 100}% volatility weight ${p.volatilityWeightBps / 100}% CF floor ${p.minCollateralFactorBps / 100}%`

/**
 * Runs every parameter set of the grid over the crash scenarios on the same seeds, marks the Pareto frontier of
 * capital efficiency against pooled shortfall, and recommends a set by `sweepRule` (see `judgeSweep`).
 */
export async function runSweep({
  grid,
  scenarios = crashScenarios,
  seeds,
  days,
  stressAt,
  busyBlock,
  parallel,
  onProgress,
  onPoint,
  reuse = [],
  signal,
}: {
  grid: SimMarketParameters[]
  scenarios?: readonly string[]
  seeds: number
  days: number
  /** When the crash starts, simulated seconds after the start (day 10 by default). */
  stressAt?: number
  /** Seconds between blocks during the crash (300 by default). */
  busyBlock?: number
  parallel?: number
  onProgress?: (text: string) => void
  /** Each set once its runs are done (before the rule, which needs them all). */
  onPoint?: (point: SweepPoint) => void | Promise<void>
  /** Sets already run with the same scenarios, seeds and clock (an interrupted sweep): taken as they are. */
  reuse?: readonly SweepPoint[]
  signal?: AbortSignal
}): Promise<SweepResult> {
  const started = Date.now()
  const points: SweepPoint[] = []
  let reused = 0
  for (const [i, parameters] of grid.entries()) {
    const done = reuse.find((p) => sameParameters(p.parameters, parameters))
    if (done) {
      onProgress?.(`sweep ${i + 1}/${grid.length}: ${label(parameters)} (its runs from the earlier sweep)`)
      points.push({ ...done, label: label(parameters) })
      reused++
      continue
    }
    onProgress?.(`sweep ${i + 1}/${grid.length}: ${label(parameters)}`)
    const run = await runSim({ scenarios, seeds, days, stressAt, busyBlock, parameters, parallel, checkEvery: 50, onProgress, signal })
    const worst = (pick: (s: ScenarioSummary) => number) => Math.max(...run.summaries.map(pick))
    const point: SweepPoint = {
      parameters,
      label: label(parameters),
      capitalEfficiency: run.summaries.reduce((s, x) => s + x.capitalEfficiency.mean, 0) / run.summaries.length,
      shortfallVaR99: worst((s) => s.providerShortfallPctOfSlashed.p99),
      pooledShortfallPct: 0,
      pooledShortfallUpperPct: 0,
      runsOverTarget: 0,
      badDebtVaR99: worst((s) => s.badDebtPctOfSlashed.p99),
      honestSlashed: worst((s) => s.honestSlashed.max),
      zeroValueLiquidations: worst((s) => s.zeroValueLiquidations.max),
      compensationPaidPct: Math.min(...run.summaries.map((s) => s.compensationPaidPct.mean)),
      liquidationDelayP99Blocks: worst((s) => s.liquidationDelayLiveBlocks.p99),
      onFrontier: false,
      eligible: false,
      summaries: run.summaries,
      runs: run.results.map((r) => ({
        scenario: r.scenario,
        seed: r.seed,
        slashedValue: r.slashedValue,
        providerShortfall: r.providerShortfall,
        providerShortfallPctOfSlashed: r.providerShortfallPctOfSlashed,
        badDebtPctOfSlashed: r.badDebtPctOfSlashed,
        capitalEfficiency: r.capitalEfficiency,
        honestSlashed: r.honestSlashed,
        zeroValueLiquidations: r.zeroValueLiquidations,
        compensationPaidPct: r.compensationPaidPct,
      })),
    }
    points.push(point)
    await onPoint?.(point)
  }
  const judgement = judgeSweep(points)
  for (const [i, verdict] of judgement.verdicts.entries()) Object.assign(points[i]!, { pooledShortfallPct: verdict.pooledShortfallPct, pooledShortfallUpperPct: verdict.pooledShortfallUpperPct, runsOverTarget: verdict.runsOverTarget, capitalEfficiency: verdict.capitalEfficiency, eligible: verdict.eligible })
  for (const p of points) p.onFrontier = !points.some((q) => q !== p && q.capitalEfficiency >= p.capitalEfficiency && q.pooledShortfallPct <= p.pooledShortfallPct && (q.capitalEfficiency > p.capitalEfficiency || q.pooledShortfallPct < p.pooledShortfallPct))
  return { points, reused, recommended: points[judgement.recommended]!, tied: judgement.tied.map((i) => points[i]!.label), rule: judgement.rule, seconds: (Date.now() - started) / 1000 }
}
