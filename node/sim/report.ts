import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { packageRoot } from '../demo/packageRoot.ts'
import { SimResultsNotFoundError } from './errors.ts'
import type { DropoutPoint, DropoutResult } from './runScenario.ts'
import type { SimRun } from './runSim.ts'
import { scenarios, STRESS_AT } from './scenarios.ts'
import type { ScenarioSummary } from './summarize.ts'
import type { SweepResult } from './sweep.ts'

/** Every figure the report shows, in one JSON document (`report.json`). */
export type ReportData = {
  generatedFrom: string[]
  parameters: SimRun['parameters']
  summaries: SimRun['summaries']
  perSeed: { scenario: string; seed: number; providerShortfallPct: number; badDebtPct: number; deals: number; compensationPaidPct: number }[]
  delayHistogram: { blocks: number; count: number }[]
  series: Record<string, NonNullable<SimRun['results'][number]['series']>>
  /** The keeper dropout scenario: its figures, and every liquidation (all seeds) by when it fell due and how long it waited. */
  dropout?: { scenario: string; window: DropoutResult['window']; summary: NonNullable<ScenarioSummary['dropout']>; points: (DropoutPoint & { seed: number })[] }
  sweep?: Pick<SweepResult, 'rule' | 'seconds' | 'tied'> & { recommended: string; points: SweepReportPoint[] }
}

/** One parameter set of the sweep as the report shows it. */
export type SweepReportPoint = {
  label: string
  runs: number
  capitalEfficiency: number
  pooledShortfallPct: number
  pooledShortfallUpperPct: number
  runsOverTarget: number
  shortfallVaR99: number
  badDebtVaR99: number
  eligible: boolean
  onFrontier: boolean
}

/** The charts in the report; the PNGs for the README are named after them. */
export const reportCharts = ['price', 'health', 'utilization', 'badDebt', 'delays', 'dropout', 'insurance', 'frontier'] as const

/** Reads `results.json` (from `allot sim`) and, when present, `sweep.json` (from `allot sim sweep`) in `folder`. */
export async function readSimOutputs(folder: string): Promise<{ run?: SimRun; sweep?: SweepResult }> {
  const read = async <T>(name: string): Promise<T | undefined> => {
    try {
      return JSON.parse(await readFile(join(folder, name), 'utf8')) as T
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new SimResultsNotFoundError({ path: join(folder, name), cause: error })
    }
  }
  const [run, sweep] = await Promise.all([read<SimRun>('results.json'), read<SweepResult>('sweep.json')])
  if (!run && !sweep) throw new SimResultsNotFoundError({ path: join(folder, 'results.json') })
  return { run, sweep }
}

/** Gathers the report's figures from a run and a sweep. */
export function reportData({ run, sweep }: { run?: SimRun; sweep?: SweepResult }): ReportData {
  const results = run?.results ?? []
  const delays = results.flatMap((r) => r.liquidationDelays)
  const counts = new Map<number, number>()
  for (const d of delays) counts.set(d, (counts.get(d) ?? 0) + 1)
  const series: ReportData['series'] = {}
  for (const r of results) if (r.series && !series[r.scenario]) series[r.scenario] = r.series
  const dropoutSummary = run?.summaries.find((s) => s.dropout)
  const dropoutResults = results.filter((r) => r.dropout && r.scenario === dropoutSummary?.scenario)
  return {
    generatedFrom: [...(run ? ['results.json'] : []), ...(sweep ? ['sweep.json'] : [])],
    parameters: run?.parameters ?? sweep!.recommended.parameters,
    summaries: run?.summaries ?? [],
    perSeed: results.map((r) => ({ scenario: r.scenario, seed: r.seed, providerShortfallPct: r.providerShortfallPctOfSlashed, badDebtPct: r.badDebtPctOfSlashed, deals: r.dealsOpened, compensationPaidPct: r.compensationPaidPct })),
    delayHistogram: [...counts].sort((a, b) => a[0] - b[0]).map(([blocks, count]) => ({ blocks, count })),
    series,
    ...(dropoutSummary?.dropout && dropoutResults.length
      ? {
          dropout: {
            scenario: dropoutSummary.scenario,
            window: dropoutResults[0]!.dropout!.window,
            summary: dropoutSummary.dropout,
            points: dropoutResults.flatMap((r) => r.dropout!.points.map((p) => ({ ...p, seed: r.seed }))),
          },
        }
      : {}),
    ...(sweep
      ? {
          sweep: {
            rule: sweep.rule,
            seconds: sweep.seconds,
            tied: sweep.tied ?? [],
            recommended: sweep.recommended.label,
            points: sweep.points.map((p) => ({
              label: p.label,
              runs: p.runs?.length ?? 0,
              capitalEfficiency: p.capitalEfficiency,
              pooledShortfallPct: p.pooledShortfallPct ?? p.shortfallVaR99,
              pooledShortfallUpperPct: p.pooledShortfallUpperPct ?? p.shortfallVaR99,
              runsOverTarget: p.runsOverTarget ?? 0,
              shortfallVaR99: p.shortfallVaR99,
              badDebtVaR99: p.badDebtVaR99,
              eligible: p.eligible ?? false,
              onFrontier: p.onFrontier,
            })),
          },
        }
      : {}),
  }
}

/**
 * Writes `report.html` (self-contained: uPlot, its CSS and the data are inlined, nothing is fetched
 * when it is viewed) and `report.json` into `folder`.
 *
 * @returns the two paths.
 */
export async function writeReport(folder: string, data: ReportData): Promise<{ html: string; json: string }> {
  const root = packageRoot()
  const [uplot, css] = await Promise.all([
    readFile(join(root, 'node_modules/uplot/dist/uPlot.iife.min.js'), 'utf8'),
    readFile(join(root, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8'),
  ])
  await mkdir(folder, { recursive: true })
  const html = join(folder, 'report.html')
  const json = join(folder, 'report.json')
  await writeFile(json, `${JSON.stringify(data, null, 1)}\n`)
  await writeFile(html, renderHtml(data, uplot, css))
  return { html, json }
}

const escape = (text: string) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!)
const fixed = (x: number, digits = 2) => (Number.isFinite(x) ? x.toFixed(digits) : '—')

function summaryTable(data: ReportData): string {
  if (data.summaries.length === 0) return ''
  const rows = data.summaries.map(
    (s) =>
      `<tr><td>${escape(s.scenario)}</td><td>${escape(scenarios[s.scenario]?.description ?? '')}</td><td>${s.seeds}</td><td>${fixed(s.deals, 0)}</td><td>${fixed(s.badDebtPctOfSlashed.p99, 4)}</td><td>${fixed(s.providerShortfallPctOfSlashed.p99, 4)}</td><td>${s.honestSlashed.max}</td><td>${s.liquidationDelayLiveBlocks.p50} / ${s.liquidationDelayLiveBlocks.p99}</td><td>${s.zeroValueLiquidations.max}</td><td>${fixed(s.unprofitableLiquidations.mean, 1)}</td><td>${fixed(s.compensationPaidPct.mean, 2)}</td><td>${fixed(s.utilizationMean.mean)}</td><td>${s.elasticityAboveKink ? fixed(s.elasticityAboveKink.mean) : '—'}</td><td>${fixed(s.capitalEfficiency.mean, 3)}</td></tr>`,
  )
  return `<table><thead><tr><th>scenario</th><th>what happens</th><th>seeds</th><th>deals/seed</th><th>bad debt % slashed p99</th><th>provider shortfall % p99</th><th>honest slashed</th><th>delay p50/p99 blocks</th><th>zero-value liq.</th><th>unprofitable liq.</th><th>compensation paid %</th><th>utilization</th><th>elasticity above kink</th><th>capital efficiency</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function sweepTable(data: ReportData): string {
  const sweep = data.sweep
  if (!sweep) return ''
  const rows = sweep.points.map(
    (p) =>
      `<tr><td>${p.label === sweep.recommended ? `<b>${escape(p.label)}</b>` : escape(p.label)}</td><td>${p.runs}</td><td>${fixed(p.capitalEfficiency, 4)}</td><td>${fixed(p.pooledShortfallPct, 4)}</td><td>${fixed(p.pooledShortfallUpperPct, 4)}</td><td>${p.runsOverTarget}</td><td>${fixed(p.shortfallVaR99, 4)}</td><td>${fixed(p.badDebtVaR99, 4)}</td><td>${p.eligible ? 'yes' : ''}</td><td>${p.onFrontier ? 'yes' : ''}</td></tr>`,
  )
  return `<h2>Parameter sweep</h2>
<p>Recommended: <b>${escape(sweep.recommended)}</b>. Rule: ${escape(sweep.rule)}.</p>
<table><thead><tr><th>parameter set</th><th>runs</th><th>capital efficiency</th><th>pooled shortfall % of slashed</th><th>95 % upper bound</th><th>runs over 0.01 %</th><th>worst run %</th><th>bad debt, worst run %</th><th>eligible</th><th>frontier</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
}

function dropoutText(data: ReportData): string {
  const d = data.dropout
  if (!d) return ''
  const { during, after, recoveryBlocks } = d.summary
  const hours = (seconds: number) => fixed((seconds - STRESS_AT) / 3_600, 0)
  return `<h2>Keeper dropout (${escape(d.scenario)})</h2>
<p>Every keeper is offline for ${fixed((d.window.to - d.window.from) / 3_600, 0)} hours, from hour ${hours(d.window.from)} to hour ${hours(d.window.to)} of the crash.
${during.count} liquidations fell due in the dark: they waited ${during.p50} blocks at the median, ${during.p99} at p99, ${during.max} at most (clients liquidate their own defaulted deals after six blocks).
${after.count} fell due after the keepers came back: ${after.p50} / ${after.p99} / ${after.max} blocks.
The backlog cleared ${fixed(recoveryBlocks.mean, 1)} blocks after the keepers' return on average (${fixed(recoveryBlocks.max, 0)} in the worst seed).</p>`
}

function renderHtml(data: ReportData, uplot: string, css: string): string {
  const parameters = Object.entries(data.parameters)
    .map(([k, v]) => `<code>${escape(k)}=${escape(String(v))}</code>`)
    .join(' ')
  // `</script` inside the inlined data or library would end the element early.
  const inline = (text: string) => text.replace(/<\/script/gi, '<\\/script')
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>allot market simulation</title>
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<style>${css}
body{font:14px system-ui,sans-serif;margin:24px;color:#222;max-width:1200px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}
table{border-collapse:collapse;font-size:12px}td,th{border:1px solid #ccc;padding:3px 6px;text-align:right}td:first-child,td:nth-child(2),th{text-align:left}
.chart{display:inline-block;vertical-align:top;margin:8px 12px 8px 0;padding:8px;background:#fff;border:1px solid #eee}
.chart h3{font-size:13px;margin:0 0 4px}
code{font-size:12px;background:#f4f4f4;padding:1px 3px}
</style></head><body>
<h1>allot: the market under stress</h1>
<p>Agent-based simulation on the real market contract (anvil) with the real keeper code. Parameters: ${parameters}</p>
${summaryTable(data)}
${dropoutText(data)}
${sweepTable(data)}
<h2>Charts</h2>
<div id="charts"></div>
<script>${inline(uplot)}</script>
<script>
const data = ${inline(JSON.stringify(data))};
${inline(chartScript)}
</script>
</body></html>
`
}

/** Runs in the page: one uPlot per chart, each in a `.chart` element named after it. */
const chartScript = String.raw`
const W = 560, H = 300
const root = document.getElementById('charts')
const colors = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf']
function chart(name, title, opts, columns) {
  const box = document.createElement('div')
  box.className = 'chart'
  box.dataset.chart = name
  const h = document.createElement('h3')
  h.textContent = title
  box.appendChild(h)
  root.appendChild(box)
  if (!columns[0] || columns[0].length === 0) { box.appendChild(document.createTextNode('no data')); return }
  new uPlot(Object.assign({ width: W, height: H }, opts), columns, box)
}
const dots = { paths: () => null, points: { show: true, size: 5 } }
const pick = data.series.crash50 ? 'crash50' : Object.keys(data.series)[0]
const s = pick ? data.series[pick] : []
const days = s.map((x) => x.t / 86400)
chart('price', 'Collateral price, true and as the feed reports it (' + pick + ')',
  { scales: { x: { time: false } }, axes: [{ label: 'day' }, { label: 'tUSD' }], series: [{}, { label: 'true', stroke: colors[0] }, { label: 'feed', stroke: colors[1] }] },
  [days, s.map((x) => x.price), s.map((x) => x.feed)])
chart('health', 'Health factors of providers with obligations (' + pick + ')',
  { scales: { x: { time: false } }, axes: [{ label: 'day' }, { label: 'health factor (capped at 3)' }], series: [{}, { label: 'p5', stroke: colors[1] }, { label: 'p25', stroke: colors[3] }, { label: 'median', stroke: colors[2] }, { label: 'HF = 1', stroke: '#999', dash: [4, 4] }] },
  [days, s.map((x) => x.hf[0]), s.map((x) => x.hf[1]), s.map((x) => x.hf[2]), s.map(() => 1)])
const u = (data.series.demandSpike || s).map((x) => [x.utilization, x.multiplier]).sort((a, b) => a[0] - b[0])
chart('utilization', 'Utilization against the price multiplier (' + (data.series.demandSpike ? 'demandSpike' : pick) + '); kink at 0.8',
  { scales: { x: { time: false } }, axes: [{ label: 'utilization' }, { label: 'price multiplier' }], series: [{}, Object.assign({ label: 'blocks', stroke: colors[0] }, dots)] },
  [u.map((p) => p[0]), u.map((p) => p[1])])
const scen = [...new Set(data.perSeed.map((r) => r.scenario))]
const seeds = [...new Set(data.perSeed.map((r) => r.seed))].sort((a, b) => a - b)
chart('badDebt', 'Provider shortfall per seed, % of slashed value (before the insurance fund)',
  { scales: { x: { time: false } }, axes: [{ label: 'seed' }, { label: '% of slashed' }], series: [{}].concat(scen.map((n, i) => Object.assign({ label: n, stroke: colors[i % colors.length] }, dots))) },
  [seeds].concat(scen.map((n) => seeds.map((seed) => { const r = data.perSeed.find((x) => x.scenario === n && x.seed === seed); return r ? r.providerShortfallPct : null }))))
chart('delays', 'Blocks from eligibility to liquidation (all scenarios, all seeds)',
  { scales: { x: { time: false } }, axes: [{ label: 'blocks' }, { label: 'liquidations' }], series: [{}, { label: 'count', stroke: colors[0], fill: 'rgba(31,119,180,0.3)', paths: uPlot.paths.bars({ size: [0.6] }) }] },
  [data.delayHistogram.map((d) => d.blocks), data.delayHistogram.map((d) => d.count)])
if (data.dropout) {
  const d = data.dropout
  const pts = d.points.slice().sort((a, b) => a.hours - b.hours)
  const dark = (d.window.to - d.window.from) / 3600
  chart('dropout', 'Keeper dropout: blocks each liquidation waited, by when it fell due (hours from the keepers going dark; back at ' + dark + ')',
    { scales: { x: { time: false } }, axes: [{ label: 'hours from the dropout' }, { label: 'blocks waited' }], series: [{}, Object.assign({ label: 'due in the dark', stroke: colors[1] }, dots), Object.assign({ label: 'due while keepers run', stroke: colors[0] }, dots)] },
    [pts.map((p) => p.hours), pts.map((p) => (p.during ? p.delay : null)), pts.map((p) => (p.during ? null : p.delay))])
}
chart('insurance', 'Insurance fund (' + pick + ')',
  { scales: { x: { time: false } }, axes: [{ label: 'day' }, { label: 'tUSD' }], series: [{}, { label: 'fund', stroke: colors[2] }] },
  [days, s.map((x) => x.insuranceFund)])
if (data.sweep) {
  const pts = data.sweep.points.slice().sort((a, b) => a.capitalEfficiency - b.capitalEfficiency)
  chart('frontier', 'Sweep: capital efficiency against shortfall before the insurance fund (pooled, 95 % bound)',
    { scales: { x: { time: false } }, axes: [{ label: 'capital efficiency' }, { label: 'shortfall % of slashed' }], series: [{}, Object.assign({ label: 'sets (pooled)', stroke: colors[0] }, dots), Object.assign({ label: '95 % bound', stroke: colors[2] }, dots), Object.assign({ label: 'frontier', stroke: colors[1] }, { points: { show: true, size: 7 } }), { label: 'target 0.01 %', stroke: colors[7], dash: [4, 4], points: { show: false } }] },
    [pts.map((p) => p.capitalEfficiency), pts.map((p) => p.pooledShortfallPct), pts.map((p) => p.pooledShortfallUpperPct), pts.map((p) => (p.onFrontier ? p.pooledShortfallPct : null)), pts.map(() => 0.01)])
}
document.body.dataset.rendered = 'true'
`

/**
 * Screenshots each chart of a written report with headless Chromium, as PNGs for the README.
 *
 * @returns the PNG paths.
 */
export async function renderChartPngs(html: string, folder: string, { executablePath = '/usr/bin/chromium' }: { executablePath?: string } = {}): Promise<string[]> {
  const { chromium } = await import('playwright-core')
  const browser = await chromium.launch({ executablePath, args: chromiumArgs })
  try {
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } })
    await page.goto(`file://${html}`)
    await page.waitForSelector('body[data-rendered="true"]')
    await mkdir(folder, { recursive: true })
    const written: string[] = []
    for (const name of reportCharts) {
      const element = await page.$(`.chart[data-chart="${name}"]`)
      if (!element) continue
      const path = join(folder, `${name}.png`)
      await element.screenshot({ path })
      written.push(path)
    }
    return written
  } finally {
    await browser.close()
  }
}

/** Chromium flags for headless use on a shared machine without a sandbox or network. */
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync']
