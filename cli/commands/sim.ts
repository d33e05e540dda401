import { appendFile, mkdir, writeFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import CliTable from 'cli-table3'
import { recommendedParameters } from '../../node/sim/recommendedParameters.ts'
import { readSimOutputs, renderChartPngs, reportData, writeReport } from '../../node/sim/report.ts'
import { runSim, writeSimResults } from '../../node/sim/runSim.ts'
import { crashScenarios, scenarioNames } from '../../node/sim/scenarios.ts'
import { targetLine, type ScenarioSummary } from '../../node/sim/summarize.ts'
import { readSweepProgress, sweepProgressLine, sweepSettingsLine } from '../../node/sim/sweepProgress.ts'
import { runSweep, sameParameters, sweepGrid, sweepGridSizes, type SweepGridSize } from '../../node/sim/sweep.ts'
import type { SimMarketParameters } from '../../node/sim/marketAdapter.ts'
import type { CommandSpec, OptionSpec } from '../command.ts'
import { UsageError } from '../errors.ts'
import { SimInterruptedError } from '../../node/sim/errors.ts'
import { parseInteger } from './parse.ts'

function parseScenarios(value: string): string[] {
  const names = value === 'all' ? scenarioNames : value === 'crash' ? crashScenarios : value.split(',').map((s) => s.trim())
  for (const name of names) if (!scenarioNames.includes(name)) throw new UsageError(`--scenario: there is no scenario "${name}"; choose from ${scenarioNames.join(', ')}, or all, or crash.`)
  return names
}

const bps = (flag: string) => parseInteger(flag, 0, 10_000)

const parameterOptions: OptionSpec[] = [
  { flags: '--cf <bps>', description: 'collateral factor, basis points (default: the recommended set)', parse: bps('--cf') },
  { flags: '--lt <bps>', description: 'liquidation threshold, basis points', parse: bps('--lt') },
  { flags: '--liquidation-bonus <bps>', description: 'position liquidation bonus, basis points', parse: bps('--liquidation-bonus') },
  { flags: '--keeper-bonus <bps>', description: 'deal liquidation keeper bonus, basis points', parse: bps('--keeper-bonus') },
  { flags: '--insurance <bps>', description: "insurance fund's share of a deal liquidation, basis points", parse: bps('--insurance') },
  { flags: '--close-factor <bps>', description: 'share of uncovered obligations one position liquidation may cover (where the contract takes it)', parse: bps('--close-factor') },
  { flags: '--min-cf <bps>', description: 'volatility rule: the CF at full volatility (equal to --cf turns the rule off)', parse: bps('--min-cf') },
]

function parametersFrom(options: Record<string, unknown>): SimMarketParameters {
  const p: SimMarketParameters = { ...recommendedParameters }
  const set = (key: keyof SimMarketParameters, flag: string) => {
    if (options[flag] !== undefined) (p as Record<string, unknown>)[key] = options[flag]
  }
  set('collateralFactorBps', 'cf')
  set('liquidationThresholdBps', 'lt')
  set('liquidationBonusBps', 'liquidationBonus')
  set('keeperBonusBps', 'keeperBonus')
  set('insuranceBps', 'insurance')
  set('closeFactorBps', 'closeFactor')
  set('minCollateralFactorBps', 'minCf')
  if (options.cf !== undefined && options.minCf === undefined) p.minCollateralFactorBps = Math.min(p.minCollateralFactorBps, p.collateralFactorBps)
  if (p.liquidationThresholdBps <= p.collateralFactorBps) throw new UsageError(`--lt (${p.liquidationThresholdBps}) must be above --cf (${p.collateralFactorBps}): a deal must open healthy.`)
  return p
}

const runOptions: OptionSpec[] = [
  { flags: '--seeds <n>', description: 'seeds per scenario', defaultValue: 3, parse: parseInteger('--seeds', 1, 1_000) },
  { flags: '--first-seed <n>', description: 'first seed (seeds are consecutive)', defaultValue: 1, parse: parseInteger('--first-seed', 0, 2 ** 31) },
  { flags: '--days <n>', description: 'simulated days of trading per seed (the stress starts on day 10)', defaultValue: 30, parse: parseInteger('--days', 1, 365) },
  { flags: '--parallel <n>', description: 'seeds run at once, each on its own anvil', defaultValue: 2, parse: parseInteger('--parallel', 1, 16) },
  { flags: '--out <dir>', description: 'folder for results.json, the report and its charts', defaultValue: 'sim-results' },
  { flags: '--stress-at <hours>', description: 'when the stress starts, hours after the start (day 10 by default; bring it forward for short runs)', parse: parseInteger('--stress-at', 0, 24 * 365) },
  { flags: '--busy-block <seconds>', description: 'seconds between blocks during the stress (an hour otherwise)', defaultValue: 300, parse: parseInteger('--busy-block', 12, 3_600) },
]

/** A run stopped by Ctrl-C ends with a sentence, not as a bug. */
async function interruptible<T>(signal: AbortSignal, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    if (signal.aborted) throw new SimInterruptedError({ cause: error })
    throw error
  }
}

const fmt = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—')

function summaryTable(summaries: readonly ScenarioSummary[]): string {
  const t = new CliTable({ head: ['scenario', 'seeds', 'deals/seed', 'bad debt % p99', 'shortfall % p99', 'honest slashed', 'delay p50/p99', 'zero-value', 'unprofitable', 'lost races', 'comp. paid %', 'util.', 'cap. eff.'], style: { head: [], border: [] } })
  for (const s of summaries)
    t.push([s.scenario, s.seeds, fmt(s.deals, 0), fmt(s.badDebtPctOfSlashed.p99, 4), fmt(s.providerShortfallPctOfSlashed.p99, 4), s.honestSlashed.max, `${s.liquidationDelayLiveBlocks.p50}/${s.liquidationDelayLiveBlocks.p99}`, s.zeroValueLiquidations.max, fmt(s.unprofitableLiquidations.mean, 1), fmt(s.lostRaces.mean, 1), fmt(s.compensationPaidPct.mean), fmt(s.utilizationMean.mean), fmt(s.capitalEfficiency.mean, 3)])
  return t.toString()
}

/** One line per dropout scenario: how long liquidations waited while the keepers were dark, and after they came back. */
function dropoutLines(summaries: readonly ScenarioSummary[]): string[] {
  return summaries.flatMap((s) =>
    s.dropout
      ? [
          `${s.scenario}: due while every keeper was offline, ${s.dropout.during.count} liquidations waited p50/p99/max ${s.dropout.during.p50}/${s.dropout.during.p99}/${s.dropout.during.max} blocks; ` +
            `due after they came back, ${s.dropout.after.count} waited ${s.dropout.after.p50}/${s.dropout.after.p99}/${s.dropout.after.max}; the backlog cleared ${fmt(s.dropout.recoveryBlocks.max, 0)} blocks after their return (worst seed)`,
        ]
      : [],
  )
}

export const sim: CommandSpec = {
  path: ['sim', 'run'],
  isDefault: true,
  summary: 'simulate the market under stress on the real contracts and keeper: scenarios over many seeds, with the figures lending markets publish',
  options: [{ flags: '--scenario <names>', description: `comma-separated scenarios, "all" or "crash" (${scenarioNames.join(', ')})`, defaultValue: scenarioNames, parse: parseScenarios }, ...runOptions, ...parameterOptions],
  examples: ['allot sim --scenario crash50 --seeds 5', 'allot sim run --scenario all', 'allot sim --scenario baseline,demandSpike --days 20 --out ./sim', 'allot sim --scenario crash --cf 7000 --lt 8000 --json'],
  async run(_args, options, { output, signal }) {
    const parameters = parametersFrom(options)
    const names = options.scenario as string[]
    const out = resolve(options.out as string)
    output.progress('simulating', `${names.join(', ')} × ${options.seeds} seeds × ${options.days} days`)
    const run = await interruptible(signal, () => runSim({
      scenarios: names,
      seeds: options.seeds as number,
      firstSeed: options.firstSeed as number,
      days: options.days as number,
      parallel: options.parallel as number,
      parameters,
      series: true,
      stressAt: options.stressAt === undefined ? undefined : (options.stressAt as number) * 3_600,
      busyBlock: options.busyBlock as number,
      onProgress: (text) => output.detail(1, text),
      signal,
    }))
    const path = await writeSimResults(out, run)
    const focus = run.summaries.find((s) => s.scenario === 'crash50') ?? run.summaries[0]!
    const line = targetLine(focus, run.seconds)
    output.result({ ok: true, results: path, parameters, summaries: run.summaries, target: line, seconds: run.seconds }, () =>
      [
        summaryTable(run.summaries),
        ...dropoutLines(run.summaries),
        ...(run.summaries[0]?.ignoredParameters.length ? [`not in this contract, left out: ${run.summaries[0].ignoredParameters.join('; ')}`] : []),
        `results in ${path} (allot sim report --out ${options.out} draws the charts); ${fmt(run.seconds, 1)} s`,
        JSON.stringify(line),
      ].join('\n'),
    )
  },
}

export const simReport: CommandSpec = {
  path: ['sim', 'report'],
  summary: 'write a self-contained HTML report (charts, tables) and one JSON of every figure from `allot sim` and `allot sim sweep` results',
  options: [
    { flags: '--out <dir>', description: 'folder holding results.json and/or sweep.json; the report is written there', defaultValue: 'sim-results' },
    { flags: '--png <dir>', description: 'also screenshot each chart as a PNG into this folder (headless Chromium)' },
    { flags: '--chromium <path>', description: 'the Chromium executable for --png', defaultValue: '/usr/bin/chromium' },
  ],
  examples: ['allot sim report', 'allot sim report --out ./sim --png docs/sim'],
  async run(_args, options, { output }) {
    const folder = resolve(options.out as string)
    const outputs = await readSimOutputs(folder)
    const { html, json } = await writeReport(folder, reportData(outputs))
    const pngs = options.png ? await renderChartPngs(html, resolve(options.png as string), { executablePath: options.chromium as string }) : []
    output.result({ ok: true, html, json, pngs }, () => [`report ${html}`, `figures ${json}`, ...pngs.map((p) => `chart ${p}`)].join('\n'))
  },
}

export const simSweep: CommandSpec = {
  path: ['sim', 'sweep'],
  summary: 'sweep the risk parameters over the crash scenarios on the same seeds: the frontier of capital efficiency against shortfall, and the recommended set with the rule that chose it',
  options: [
    { flags: '--seeds <n>', description: 'seeds per scenario and parameter set (every set runs on the same seeds)', defaultValue: 10, parse: parseInteger('--seeds', 1, 100) },
    { flags: '--days <n>', description: 'simulated days per seed (the crash is on day 10 unless --stress-at says otherwise)', defaultValue: 2, parse: parseInteger('--days', 1, 365) },
    { flags: '--stress-at <hours>', description: 'when the crash starts, hours after the start (bring it forward for shorter runs)', defaultValue: 12, parse: parseInteger('--stress-at', 0, 24 * 365) },
    { flags: '--busy-block <seconds>', description: 'seconds between blocks during the crash', defaultValue: 600, parse: parseInteger('--busy-block', 12, 3_600) },
    { flags: '--grid <size>', description: 'focus (the default market and one step on each axis), small (CF only), axes (CF × LT gap, then each bonus and the volatility rule alone) or full (everything crossed)', defaultValue: 'focus' },
    { flags: '--scenario <names>', description: 'scenarios to stress each set with', defaultValue: ['crash50', 'keeperDropout', 'volatile', 'flash10'], parse: parseScenarios },
    { flags: '--parallel <n>', description: 'seeds run at once', defaultValue: 2, parse: parseInteger('--parallel', 1, 16) },
    { flags: '--out <dir>', description: 'folder for sweep.json (and sweep-points.jsonl, each set as it finishes)', defaultValue: 'sim-results' },
    { flags: '--resume', description: "take the sets an earlier sweep with the same scenarios, seeds and clock finished (its sweep-points.jsonl: interrupted, or over a smaller grid) instead of running them again" },
  ],
  examples: ['allot sim sweep', 'allot sim sweep --grid axes --seeds 3', 'allot sim sweep --grid full --seeds 10 --days 14 --stress-at 240 --busy-block 300'],
  async run(_args, options, { output, signal }) {
    const size = options.grid as string
    if (!sweepGridSizes.includes(size as SweepGridSize)) throw new UsageError(`--grid must be ${sweepGridSizes.join(', ')}, not "${size}".`)
    const grid = sweepGrid(recommendedParameters, size as SweepGridSize)
    const folder = resolve(options.out as string)
    await mkdir(folder, { recursive: true })
    const progressPath = resolve(folder, 'sweep-points.jsonl')
    const settings = { scenarios: options.scenario as string[], seeds: options.seeds as number, days: options.days as number, stressAt: (options.stressAt as number) * 3_600, busyBlock: options.busyBlock as number }
    const reuse = options.resume ? await readSweepProgress(progressPath, settings) : []
    if (reuse.length === 0) await writeFile(progressPath, sweepSettingsLine(settings))
    output.progress('sweeping', `${grid.length} parameter sets × ${(options.scenario as string[]).join(', ')} × ${options.seeds} seeds`)
    const result = await interruptible(signal, () =>
      runSweep({
        grid,
        ...settings,
        parallel: options.parallel as number,
        reuse,
        onProgress: (text) => output.progress('sweep', text),
        onPoint: (point) => appendFile(progressPath, sweepProgressLine(point)),
        signal,
      }),
    )
    const path = resolve(folder, 'sweep.json')
    await writeFile(path, `${JSON.stringify(result, null, 1)}\n`)
    const r = result.recommended.parameters
    const isDefault = sameParameters(r, recommendedParameters)
    output.result({ ok: true, sweep: path, recommended: r, recommendedIsDefault: isDefault, rule: result.rule, tied: result.tied, reused: result.reused, points: result.points.map(({ summaries: _s, runs: _r, ...p }) => p) }, () => {
      const t = new CliTable({ head: ['parameters', 'capital efficiency', 'pooled shortfall % (95 % bound)', 'runs over 0.01 %', 'worst run %', 'bad debt worst %', 'honest slashed', 'zero-value', 'comp. paid %', 'delay p99', 'eligible', 'frontier'], style: { head: [], border: [] } })
      for (const p of result.points)
        t.push([p.label, fmt(p.capitalEfficiency, 4), `${fmt(p.pooledShortfallPct, 4)} (${fmt(p.pooledShortfallUpperPct, 4)})`, `${p.runsOverTarget}/${p.runs.length}`, fmt(p.shortfallVaR99, 4), fmt(p.badDebtVaR99, 4), p.honestSlashed, p.zeroValueLiquidations, fmt(p.compensationPaidPct), p.liquidationDelayP99Blocks, p.eligible ? 'yes' : '', p.onFrontier ? 'yes' : ''])
      return [
        t.toString(),
        `rule: ${result.rule}`,
        ...(result.tied.length > 1 ? [`tied on capital efficiency: ${result.tied.join('; ')}`] : []),
        `recommended: ${result.recommended.label}`,
        isDefault ? 'this is the default market of `allot chain dev` (contracts/params/defaultMarket.json)' : 'this is NOT the default market of `allot chain dev` (contracts/params/defaultMarket.json)',
        `sweep in ${path}; ${fmt(result.seconds, 1)} s${result.reused ? ` (${result.reused} of ${result.points.length} sets taken from the earlier runs in ${progressPath})` : ''}`,
        JSON.stringify({ recommended: { collateralFactorBps: r.collateralFactorBps, liquidationThresholdBps: r.liquidationThresholdBps, liquidationBonusBps: r.liquidationBonusBps, keeperBonusBps: r.keeperBonusBps, insuranceBps: r.insuranceBps, closeFactorBps: r.closeFactorBps ?? 5_000, minCollateralFactorBps: r.minCollateralFactorBps, volatilityWeightBps: r.volatilityWeightBps, maxVolatilityBps: r.maxVolatilityBps }, isDefault }),
      ].join('\n')
    })
  },
}
