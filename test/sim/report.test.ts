import { mkdtemp, readFile, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type Browser } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { chromiumArgs, reportCharts } from '../../node/sim/report.ts'
import { allot } from './allotProcess.ts'

let dir: string
let browser: Browser | undefined

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allot-sim-report-'))
})
test.after(async () => {
  await browser?.close()
  await rm(dir, { recursive: true, force: true })
})

test('allot sim runs a seeded scenario on the real contracts and prints the target figures', async () => {
  // The crash brought forward to the second hour, with half-hour blocks, so that a short run has liquidations to chart;
  // with the keeper dropout beside it for the dropout chart.
  const { code, stdout, stderr } = await allot(['sim', '--scenario', 'crash50,keeperDropout', '--seeds', '1', '--days', '1', '--stress-at', '2', '--busy-block', '1800', '--parallel', '2', '--out', dir, '--json'])
  assert.is(code, 0, stderr)
  const printed = JSON.parse(stdout)
  assert.is(printed.ok, true)
  assert.is(printed.target.scenario, 'crash50')
  assert.is(printed.target.seeds, 1)
  assert.ok(printed.target.deals > 0, 'no deals')
  assert.is(printed.target.honestSlashed, 0)
  assert.is(printed.target.compensationPaidPct, 100)
  const results = JSON.parse(await readFile(join(dir, 'results.json'), 'utf8'))
  assert.is(results.results[0].seed, 1)
  assert.ok(results.results[0].series.length > 10, 'no per-block series for the report')
})

test('allot sim report writes a self-contained HTML report, its figures and PNGs of the charts', async () => {
  const { code, stdout, stderr } = await allot(['sim', 'report', '--out', dir, '--png', join(dir, 'png'), '--json'])
  assert.is(code, 0, stderr)
  const printed = JSON.parse(stdout)
  assert.ok(printed.pngs.length >= 5, `only ${printed.pngs.length} charts drawn`)
  for (const png of printed.pngs) assert.ok((await stat(png)).size > 2_000, `${png} is empty`)
  const html = await readFile(printed.html, 'utf8')
  assert.not.match(html, /<script[^>]+src=|<link[^>]+href=|<img[^>]+src="http/, 'the report loads something from outside')
  const figures = JSON.parse(await readFile(printed.json, 'utf8'))
  assert.is(figures.summaries[0].scenario, 'crash50')
  assert.ok(figures.delayHistogram.length > 0, 'no liquidation delays in a crash')
  assert.is(figures.dropout.scenario, 'keeperDropout')
  assert.is(figures.dropout.points.length, figures.dropout.summary.during.count + figures.dropout.summary.after.count + figures.dropout.points.filter((p: { hours: number }) => p.hours < 0).length)
  assert.match(html, /Keeper dropout \(keeperDropout\)/)
})

test('the report opens in headless Chromium and every chart is drawn on a non-empty canvas', async () => {
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: chromiumArgs })
  const page = await browser.newPage()
  const outside: string[] = []
  page.on('request', (request) => {
    if (!request.url().startsWith('file://')) outside.push(request.url())
  })
  await page.goto(`file://${join(dir, 'report.html')}`)
  await page.waitForSelector('body[data-rendered="true"]', { timeout: 30_000 })
  const drawn = await page.evaluate(() =>
    // Runs in the page, where `document` exists.
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    [...(globalThis as any).document.querySelectorAll('.chart')].map((box: any) => {
      const canvas = box.querySelector('canvas')
      if (!canvas) return { name: box.dataset.chart, inked: 0 }
      const pixels = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data
      let inked = 0
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) inked++
      return { name: box.dataset.chart, inked }
    }),
  )
  const names = drawn.map((d) => d.name)
  for (const name of reportCharts.filter((n) => n !== 'frontier')) assert.ok(names.includes(name), `chart ${name} missing`)
  for (const chart of drawn) assert.ok(chart.inked > 500, `chart ${chart.name} is blank (${chart.inked} inked pixels)`)
  assert.equal(outside, [])
})

test('a scenario that does not exist is a usage error naming the known ones; a report without results says what to run', async () => {
  const unknown = await allot(['sim', '--scenario', 'meteor', '--out', dir])
  assert.is(unknown.code, 2)
  assert.match(unknown.stderr, /no scenario "meteor"/)
  assert.match(unknown.stderr, /crash50/)
  const empty = await mkdtemp(join(tmpdir(), 'allot-sim-empty-'))
  const missing = await allot(['sim', 'report', '--out', empty])
  await rm(empty, { recursive: true, force: true })
  assert.is(missing.code, 1)
  assert.match(missing.stderr, /No simulation results/)
  assert.match(missing.stderr, /allot sim --out/)
})

test.run()
