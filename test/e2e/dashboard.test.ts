import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnAllot } from '../../node/demo/spawnAllot.ts'
import { clientKey, startObservedMarket, type ObservedMarket } from '../helpers/observedMarket.ts'

// A running market (anvil, a provider process, the dashboard process) seen through
// Debian's chromium: the page must show the provider's ask, and a deal moving to
// settled as a job runs. The screenshot it takes is the one the README shows.
let observed: ObservedMarket
let url: string
let providerAddress: string
let bootstrap: string
let browser: BrowserContext
let page: Page
let profile: string
const pageErrors: string[] = []
const requests: string[] = []
const spinJob = join(import.meta.dirname, '..', '..', 'examples', 'spin')
const screenshot = join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png')

test.before(async () => {
  observed = await startObservedMarket()
  ;({ bootstrap } = await observed.startProvider(['--price-cpu', '400000000']))
  providerAddress = observed.providerAddress
  const dashboard = observed.spawn(['dashboard', '--port', '0', '--bootstrap', bootstrap], clientKey)
  url = (await dashboard.ready).url
  profile = await mkdtemp(join(tmpdir(), 'allot-chromium-'))
  browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.ALLOT_CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  })
  page = browser.pages()[0] ?? (await browser.newPage())
  page.on('pageerror', (error) => pageErrors.push(error.message))
  page.on('console', (message) => message.type() === 'error' && pageErrors.push(message.text()))
  page.on('request', (request) => requests.push(request.url()))
})

test.after(async () => {
  await browser?.close()
  await observed?.stop()
  if (profile) await rm(profile, { recursive: true, force: true })
})

test('the dashboard answers only requests that carry its token, and only on 127.0.0.1', async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/)
  const bare = url.replace(/\?token=.*$/, '')
  assert.is((await fetch(bare)).status, 403)
  assert.is((await fetch(`${bare}?token=${'0'.repeat(48)}`)).status, 403)
  assert.is((await fetch(`${bare}api/snapshot`)).status, 403)
  assert.is((await fetch(url.replace('127.0.0.1', 'localhost'))).status, 200)
  const page = await fetch(url)
  assert.is(page.status, 200)
  assert.match(await page.text(), '<h1>allot market</h1>')
  const uplot = await fetch(url.replace('/?', '/uplot.js?'))
  assert.is(uplot.status, 200)
  assert.match(await uplot.text(), 'uPlot')
})

test('the page shows the provider’s ask, then a deal moving to settled as a job runs', async () => {
  await page.goto(url)
  const providerCell = page.locator('#asks tbody tr td').first()
  await providerCell.waitFor({ timeout: 30_000 })
  assert.is(await providerCell.getAttribute('title'), providerAddress)
  assert.match(await page.locator('#asks tbody tr').first().innerText(), '400000000')
  assert.match(await page.locator('#classes tbody').innerText(), /CPU \(cores\)\s+2\s+2\s+0\.0%/)
  await page.locator('#providers tbody tr', { hasText: 'yes' }).waitFor({ timeout: 30_000 })
  assert.match(await page.locator('#providers tbody').innerText(), '100 ALS')

  const submitted = observed.client(['job', 'submit', spinJob, '--max-price', '0.5'], bootstrap)
  // Watch the deal's row while the job runs: every state the page shows is recorded.
  const seen: string[] = []
  let dealId: string | undefined
  const watching = (async () => {
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await page.waitForTimeout(200)) {
      const row = page.locator('#deals tbody tr').first()
      if ((await row.count()) === 0) continue
      dealId ??= (await row.getAttribute('data-deal')) ?? undefined
      const state = await row.locator('td').nth(5).innerText()
      if (seen.at(-1) !== state) seen.push(state)
      if (state === 'Settled') return
    }
  })()
  const result = await submitted
  assert.is(result.code, 0, result.stderr + result.stdout)
  await watching
  assert.is(dealId, result.json().dealId)
  assert.is(seen.at(-1), 'Settled', `states seen: ${seen.join(' → ')}`)
  assert.ok(seen.length >= 2 && ['Open', 'Committed'].includes(seen[0]!), `states seen: ${seen.join(' → ')}`)
  await page.locator('#providers tbody tr td', { hasText: /^0\.\d+ USDx?|^0\.\d+ \w+$/ }).first().waitFor({ timeout: 10_000 }).catch(() => {})
  await page.screenshot({ path: screenshot, fullPage: true })
  assert.ok((await stat(screenshot)).size > 20_000, 'the screenshot shows a rendered page')
})

test('the charts are drawn, the controls work from the keyboard, and nothing is loaded from off the machine', async () => {
  assert.ok((await page.locator('#curve canvas').count()) > 0, 'the pricing curve is drawn')
  assert.ok((await page.locator('#node-chart canvas').count()) > 0, 'the node chart is drawn')
  await page.locator('#pause').focus()
  await page.keyboard.press('Enter')
  assert.is(await page.locator('#pause').getAttribute('aria-pressed'), 'true')
  await page.keyboard.press('Space')
  assert.is(await page.locator('#pause').getAttribute('aria-pressed'), 'false')
  await page.locator('#metric').focus()
  await page.keyboard.press('ArrowDown')
  assert.is(await page.locator('#metric').inputValue(), 'eventLoopLagP99Seconds')
  const origin = new URL(url).origin
  assert.equal(requests.filter((request) => !request.startsWith(origin)), [])
  assert.equal(pageErrors, [])
})

test('started in a provider’s home, the dashboard joins the network through that provider with no --bootstrap', async () => {
  const dashboard = spawnAllot(['dashboard', '--port', '0', '--home', join(observed.root, 'provider-start')], observed.env)
  try {
    const printed = await dashboard.ready
    assert.equal(printed.bootstrap, [bootstrap])
    let snapshot: any
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !snapshot?.book.asks.length; await new Promise((resolve) => setTimeout(resolve, 250)))
      snapshot = await (await fetch(printed.url.replace('/?', '/api/snapshot?'))).json()
    assert.is(snapshot.book.asks[0]?.provider, providerAddress)
    assert.ok(snapshot.deals.some((deal: { status: string }) => deal.status === 'Settled'))
  } finally {
    await dashboard.stop()
  }
})

test.run()
