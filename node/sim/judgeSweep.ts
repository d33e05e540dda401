import { createRandom } from './random.ts'

/** Issue 13's bound on bad debt, used for the shortfall before the insurance fund too: % of slashed value. */
export const SHORTFALL_TARGET_PCT = 0.01

/** The figures of one seed of one scenario that the sweep's rule reads. */
export type SweepRun = {
  scenario: string
  seed: number
  /** Payment-unit value the rules took from providers. */
  slashedValue: number
  /** What providers' collateral and coverage could not pay (the insurance fund's exposure), payment units. */
  providerShortfall: number
  providerShortfallPctOfSlashed: number
  badDebtPctOfSlashed: number
  capitalEfficiency: number
  honestSlashed: number
  zeroValueLiquidations: number
  compensationPaidPct: number
}

/** What the rule needs to know of one parameter set. */
export type JudgedSet = {
  label: string
  runs: readonly SweepRun[]
  /** Worst p99 over the scenarios of the blocks from eligibility to liquidation while a keeper was live (pooled per scenario). */
  liquidationDelayP99Blocks: number
}

/** A set's figures as the rule weighs them. */
export type SetVerdict = {
  /** Every run met every per-run target (see `meetsTargets`). */
  meetsTargets: boolean
  /** Σ shortfall / Σ slashed over every run of every scenario, %. */
  pooledShortfallPct: number
  /** One-sided 95 % bootstrap upper bound of the pooled shortfall (seeds resampled, each with all its scenarios), %. */
  pooledShortfallUpperPct: number
  /** Runs whose own shortfall exceeded the target. */
  runsOverTarget: number
  /** Mean over seeds of each seed's capital efficiency (its scenarios averaged). */
  capitalEfficiency: number
  eligible: boolean
}

export type SweepJudgement = {
  verdicts: SetVerdict[]
  /** Index of the recommended set. */
  recommended: number
  /** Indices of the eligible sets whose capital efficiency is within the noise of the best one's. */
  tied: number[]
  rule: string
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)
const mean = (values: readonly number[]) => (values.length ? sum(values) / values.length : 0)

/** Σ shortfall / Σ slashed, %: a share of all value slashed, so that a seed with little slashed weighs little. */
export function pooledShortfallPct(runs: readonly SweepRun[]): number {
  const slashed = sum(runs.map((r) => r.slashedValue))
  return slashed > 0 ? (100 * sum(runs.map((r) => r.providerShortfall))) / slashed : 0
}

const bySeed = (runs: readonly SweepRun[]) => {
  const seeds = new Map<number, SweepRun[]>()
  for (const run of runs) seeds.set(run.seed, [...(seeds.get(run.seed) ?? []), run])
  return seeds
}

/**
 * One-sided upper confidence bound of the pooled shortfall: seeds are drawn with replacement (a seed carries every
 * scenario run on it, since they share its population), the pooled shortfall is taken of each draw, and the
 * `confidence` quantile of those is the bound. Seeded, so a sweep judges the same way every time.
 */
export function pooledShortfallUpperPct(runs: readonly SweepRun[], { confidence = 0.95, resamples = 2_000 } = {}): number {
  const seeds = [...bySeed(runs).values()]
  if (seeds.length === 0) return 0
  const random = createRandom(13)
  const draws: number[] = []
  for (let i = 0; i < resamples; i++) {
    const drawn = Array.from({ length: seeds.length }, () => seeds[random.int(0, seeds.length - 1)]!).flat()
    draws.push(pooledShortfallPct(drawn))
  }
  draws.sort((a, b) => a - b)
  return draws[Math.min(draws.length - 1, Math.ceil(confidence * draws.length) - 1)]!
}

/** Each seed's capital efficiency, its scenarios averaged. */
const efficiencyBySeed = (runs: readonly SweepRun[]) => new Map([...bySeed(runs)].map(([seed, rs]) => [seed, mean(rs.map((r) => r.capitalEfficiency))]))

/**
 * Whether `set`'s capital efficiency is within the noise of `best`'s: the sets ran on the same seeds (the same price
 * paths and population), so the difference is taken seed by seed, and it is noise while it is under two standard
 * errors of its mean.
 */
export function efficiencyTied(set: readonly SweepRun[], best: readonly SweepRun[]): boolean {
  const a = efficiencyBySeed(set)
  const b = efficiencyBySeed(best)
  const differences = [...a].filter(([seed]) => b.has(seed)).map(([seed, x]) => b.get(seed)! - x)
  if (differences.length < 2) return mean(differences) <= 0
  const m = mean(differences)
  const sd = Math.sqrt(sum(differences.map((d) => (d - m) ** 2)) / (differences.length - 1))
  return m <= 2 * (sd / Math.sqrt(differences.length))
}

/** Per-run targets of issue 13, checked on every run (with fewer than 100 runs, p99 by nearest rank is the worst run). */
function meetsTargets(set: JudgedSet): boolean {
  return (
    set.liquidationDelayP99Blocks <= 1 &&
    set.runs.every((r) => r.badDebtPctOfSlashed <= SHORTFALL_TARGET_PCT && r.honestSlashed === 0 && r.zeroValueLiquidations === 0 && r.compensationPaidPct >= 100 - 1e-9)
  )
}

export const sweepRule =
  `eligible: every run meets issue 13's targets (bad debt after the insurance fund ≤ ${SHORTFALL_TARGET_PCT} % of slashed value, no honest provider slashed, no zero-value liquidation, all promised compensation paid, liquidation within 1 block of eligibility at p99 while a keeper is live) ` +
  `and the shortfall before the fund, pooled over every scenario and seed, is ≤ ${SHORTFALL_TARGET_PCT} % of slashed value at its 95 % bootstrap upper bound (seeds resampled; with this few runs a per-run p99 is just the worst run); ` +
  'of those, the most capital-efficient, where a set less than two standard errors of the seed-by-seed difference below the best counts as tied; a tie goes to the current market (the grid\'s first set) when it is among them, since nothing measured tells them apart, and otherwise to the lowest pooled shortfall, then to the higher capital efficiency'

/**
 * The sweep's rule: which parameter set to recommend, from the runs of every set on the same seeds (the first set is
 * the market in use). The rule is
 * `sweepRule`, printed with the recommendation; when no set is eligible, the set with the lowest upper bound of
 * pooled shortfall among those that meet the per-run targets (or among all) is recommended, and the rule says so.
 */
export function judgeSweep(sets: readonly JudgedSet[]): SweepJudgement {
  const verdicts = sets.map((set): SetVerdict => {
    const upper = pooledShortfallUpperPct(set.runs)
    const targets = meetsTargets(set)
    return {
      meetsTargets: targets,
      pooledShortfallPct: pooledShortfallPct(set.runs),
      pooledShortfallUpperPct: upper,
      runsOverTarget: set.runs.filter((r) => r.providerShortfallPctOfSlashed > SHORTFALL_TARGET_PCT).length,
      capitalEfficiency: mean([...efficiencyBySeed(set.runs).values()]),
      eligible: targets && upper <= SHORTFALL_TARGET_PCT,
    }
  })
  const indices = sets.map((_, i) => i)
  const eligible = indices.filter((i) => verdicts[i]!.eligible)
  if (eligible.length === 0) {
    const meeting = indices.filter((i) => verdicts[i]!.meetsTargets)
    const pool = meeting.length ? meeting : indices
    const safest = pool.reduce((a, b) => (verdicts[b]!.pooledShortfallUpperPct < verdicts[a]!.pooledShortfallUpperPct ? b : a))
    const why = meeting.length ? `among the sets that meet the per-run targets (${meeting.length} of ${indices.length})` : 'and none meets the per-run targets either'
    return { verdicts, recommended: safest, tied: [], rule: `no set is eligible (${sweepRule}); recommended: the lowest upper bound of pooled shortfall, ${why}` }
  }
  const best = eligible.reduce((a, b) => (verdicts[b]!.capitalEfficiency > verdicts[a]!.capitalEfficiency ? b : a))
  const tied = eligible.filter((i) => i === best || efficiencyTied(sets[i]!.runs, sets[best]!.runs))
  // Tied sets all meet every target and cannot be told apart on capital efficiency; their pooled shortfalls differ
  // within the noise too, so the current market is kept when it is among them: a change needs evidence.
  const recommended = tied.includes(0)
    ? 0
    : tied.reduce((a, b) => {
        const [va, vb] = [verdicts[a]!, verdicts[b]!]
        if (vb.pooledShortfallPct !== va.pooledShortfallPct) return vb.pooledShortfallPct < va.pooledShortfallPct ? b : a
        return vb.capitalEfficiency > va.capitalEfficiency ? b : a
      })
  return { verdicts, recommended, tied, rule: sweepRule }
}
