import { existsSync } from 'node:fs'
import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { getAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { increaseTime } from '../../node/chain/devTime.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { installFakeNvidiaSmi, type FakeNvidiaSmi } from '../helpers/fake-nvidia-smi.ts'
import { clientKey, keeperKey, secondProviderKey, startObservedMarket, type ObservedMarket } from '../helpers/observedMarket.ts'

// A running market (anvil, two provider processes, a keeper, the dashboard process) seen
// through Debian's chromium: the page must show the providers' asks, a deal moving to
// settled as a job runs, and a liquidation. Its last screenshot is the one the README shows.
let observed: ObservedMarket
let url: string
let bootstrap: string
let steadyHome: string
const providers: Record<string, AllotProcess> = {}
let browser: BrowserContext
let page: Page
let profile: string
let gpus: FakeNvidiaSmi
const pageErrors: string[] = []
const requests: string[] = []
const spinJob = join(import.meta.dirname, '..', '..', 'examples', 'spin')
const screenshot = join(import.meta.dirname, '..', '..', 'docs', 'dashboard.png')
const cheapAddress = privateKeyToAccount(secondProviderKey).address

test.before(async () => {
  observed = await startObservedMarket()
  // The first provider sells an H100 as well (a stand-in nvidia-smi answers as one would).
  gpus = await installFakeNvidiaSmi()
  const steady = await observed.startProvider(['--price-cpu', '400000000', '--price-gpu', '7000000000'], { name: 'steady', env: gpus.env('h100') })
  ;({ bootstrap, home: steadyHome } = steady)
  providers[getAddress(observed.providerAddress)] = steady.process
  // A cheaper second provider takes the jobs; it joins through the first.
  const cheap = await observed.startProvider(['--price-cpu', '300000000', '--bootstrap', bootstrap], { key: secondProviderKey, name: 'cheap' })
  providers[getAddress(cheapAddress)] = cheap.process
  observed.spawn(['keeper', 'start', '--polling-interval', '200'], keeperKey)
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
  await gpus?.remove()
})

/** The state the page shows for a deal; '' while it has no row. */
const dealState = async (dealId: string) => {
  const row = page.locator(`#deals tbody tr[data-deal="${dealId}"]`)
  return (await row.count()) === 0 ? '' : row.locator('td').nth(5).innerText()
}

test('the dashboard answers only requests that carry its token, and only on 127.0.0.1', async () => {
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{48}$/)
  const bare = url.replace(/\?token=.*$/, '')
  assert.is((await fetch(bare)).status, 403)
  assert.is((await fetch(`${bare}?token=${'0'.repeat(48)}`)).status, 403)
  assert.is((await fetch(`${bare}api/snapshot`)).status, 403)
  assert.is((await fetch(url.replace('127.0.0.1', 'localhost'))).status, 200)
  const html = await fetch(url)
  assert.is(html.status, 200)
  assert.match(await html.text(), '<h1>allot market</h1>')
  const uplot = await fetch(url.replace('/?', '/uplot.js?'))
  assert.is(uplot.status, 200)
  assert.match(await uplot.text(), 'uPlot')
})

test('the page shows both providers’ asks and positions, then a deal moving to settled as a job runs', async () => {
  await page.goto(url)
  for (const address of Object.keys(providers)) {
    await page.locator(`#asks tbody td[title="${address}"]`).waitFor({ timeout: 30_000 })
    await page.locator('#providers tbody tr', { has: page.locator(`td[title="${address}"]`), hasText: 'yes' }).waitFor({ timeout: 30_000 })
  }
  assert.match(await page.locator('#asks tbody tr', { has: page.locator(`td[title="${cheapAddress}"]`) }).innerText(), '300000000')
  const classes = await page.locator('#classes tbody').innerText()
  assert.match(classes, /CPU \(cores\)\s+4\s+4\s+0\.0%/)
  assert.match(classes, /GPU nvidia-h100-80gb\s+1\s+1\s+0\.0%\s+7000000000/)
  assert.match(await page.locator('#curve').innerText(), 'nvidia-h100-80gb today')
  assert.match(await page.locator('#providers tbody').innerText(), '100 ALS')

  const submitted = observed.client(['job', 'submit', spinJob, '--max-price', '0.5'], bootstrap)
  // Watch the newest deal's row while the job runs: every state the page shows is recorded.
  const seen: string[] = []
  let dealId: string | undefined
  const watching = (async () => {
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await page.waitForTimeout(200)) {
      dealId ??= (await page.locator('#deals tbody tr').first().getAttribute('data-deal', { timeout: 1_000 }).catch(() => null)) ?? undefined
      const state = dealId ? await dealState(dealId) : ''
      if (state && seen.at(-1) !== state) seen.push(state)
      if (state === 'Settled') return
    }
  })()
  const result = await submitted
  assert.is(result.code, 0, result.stderr + result.stdout)
  await watching
  assert.is(dealId, result.json().dealId)
  assert.is(getAddress(result.json().provider), cheapAddress, 'the cheaper ask won')
  assert.is(seen.at(-1), 'Settled', `states seen: ${seen.join(' → ')}`)
  assert.ok(seen.length >= 2 && ['Open', 'Committed'].includes(seen[0]!), `states seen: ${seen.join(' → ')}`)
  await page.locator('#providers tbody tr', { has: page.locator(`td[title="${cheapAddress}"]`) }).locator('td', { hasText: /^0\.0\d+ tUSD$/ }).last().waitFor({ timeout: 10_000 })
})

test('a provider that dies mid-job shows up as a liquidation paid to its client', async () => {
  const submitted = await observed.client(['job', 'submit', spinJob, '--no-wait', '--max-price', '0.5'], bootstrap)
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const { dealId } = submitted.json()
  const { provider } = (await observed.client(['job', 'status', dealId], bootstrap)).json()
  await page.locator(`#deals tbody tr[data-deal="${dealId}"]`).waitFor({ timeout: 30_000 })
  providers[getAddress(provider)]!.child.kill('SIGKILL')
  await increaseTime(observed.market.accounts[0]!, 60 + 120 + 5)
  await page.locator('#liquidations tbody tr', { has: page.locator(`td[title="${dealId}"]`) }).waitFor({ timeout: 60_000 })
  assert.is(await dealState(dealId), 'Liquidated')
  assert.match(await page.locator('#liquidations tbody tr').first().innerText(), /^deal\s/)
  assert.match(await page.locator('#insurance').innerText(), /^Insurance fund: [\d.]+ tUSD and [\d.]+ ALS$/)
  await page.screenshot({ path: screenshot, fullPage: true })
  assert.ok((await stat(screenshot)).size > 20_000, 'the screenshot shows a rendered page')
})

test('the charts are drawn, the controls work from the keyboard, and nothing is loaded from off the machine', async () => {
  assert.ok((await page.locator('#curve canvas').count()) > 0, 'the pricing curve is drawn')
  assert.ok((await page.locator('#node-chart canvas').count()) > 0, 'the node chart is drawn')
  await page.keyboard.press('Tab')
  assert.is(await page.evaluate('document.activeElement?.textContent'), 'Skip to the order book')
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
  const dashboard = spawnAllot(['dashboard', '--port', '0', '--home', steadyHome], observed.env)
  try {
    const printed = await dashboard.ready
    assert.equal(printed.bootstrap, [bootstrap])
    let snapshot: any
    for (const deadline = Date.now() + 30_000; Date.now() < deadline && !(snapshot?.book.asks.length && snapshot.deals.length >= 2); await new Promise((resolve) => setTimeout(resolve, 250)))
      snapshot = await (await fetch(printed.url.replace('/?', '/api/snapshot?'))).json()
    assert.ok(snapshot.book.asks.some((ask: { provider: string }) => ask.provider === getAddress(observed.providerAddress)))
    assert.equal(snapshot.deals.map((deal: { status: string }) => deal.status).sort(), ['Liquidated', 'Settled'])
    // A provider with a control endpoint (interface 2, `allot provider status`) also shows its own snapshot.
    if (existsSync(join(steadyHome, 'control.json'))) assert.is(snapshot.localProvider?.address, getAddress(observed.providerAddress))
    else assert.is(snapshot.localProvider, null)
  } finally {
    await dashboard.stop()
  }
})

test.run()
