// The dashboard page: follows /api/events (a snapshot a second) and renders it.
// Values from the network (GPU model names, addresses) are set as text, never as HTML.
'use strict'

const token = new URLSearchParams(location.search).get('token') ?? ''
const $ = (selector) => document.querySelector(selector)
let paused = false
let last

const short = (hex) => (hex ? `${hex.slice(0, 8)}…${hex.slice(-4)}` : '—')
const percent = (wad) => `${(Number(BigInt(wad)) / 1e16).toFixed(1)}%`
function units(value, token) {
  if (value === null || value === undefined) return 'unknown'
  const amount = BigInt(value)
  if (amount >= 2n ** 255n) return '∞'
  const scale = 10n ** BigInt(token.decimals)
  const fraction = (amount % scale).toString().padStart(token.decimals, '0').slice(0, 4).replace(/0+$/, '')
  return `${amount / scale}${fraction ? `.${fraction}` : ''} ${token.symbol}`
}

// A WAD (1e18 = 1.0) sent as a decimal string; the maximum uint256 means no obligations.
function wadRatio(value) {
  if (typeof value !== 'string' || !/^\d+$/.test(value)) return value
  return BigInt(value) >= 2n ** 255n ? '∞' : (Number(BigInt(value)) / 1e18).toFixed(3)
}

/** Replaces a table's rows; each cell is text, or `{ text, className, numeric }`. */
function rows(selector, list, cells) {
  const body = $(`${selector} tbody`)
  body.replaceChildren(
    ...list.map((item) => {
      const row = document.createElement('tr')
      for (const cell of cells(item)) {
        const td = document.createElement('td')
        const spec = typeof cell === 'object' && cell !== null ? cell : { text: cell }
        td.textContent = String(spec.text)
        if (spec.className) td.className = spec.className
        if (spec.title) td.title = spec.title
        row.append(td)
      }
      if (item.dealId) row.dataset.deal = item.dealId
      return row
    }),
  )
}

function renderBook({ book }) {
  const { stats } = book
  const classes = [
    ['CPU (cores)', stats.usage.cpuMillicores, stats.prices.cpu, 1000],
    ['Memory (MiB)', stats.usage.memoryMiB, stats.prices.memory, 1],
    ...stats.usage.gpuModels.map((usage) => [`GPU ${usage.model}`, usage, stats.prices.gpus.find((p) => p.model === usage.model), 1]),
  ]
  rows('#classes', classes, ([name, usage, price, divisor]) => [
    name,
    { text: usage.capacity / divisor, className: 'num' },
    { text: usage.free / divisor, className: 'num' },
    { text: percent(usage.utilization), className: 'num' },
    { text: price?.min ?? '—', className: 'num' },
    { text: price?.median ?? '—', className: 'num' },
    { text: price?.max ?? '—', className: 'num' },
  ])
  rows('#asks', book.asks, (ask) => [
    { text: short(ask.provider), title: ask.provider },
    ask.runtimes.join(', '),
    `${ask.free.cpuMillicores / 1000} / ${ask.capacity.cpuMillicores / 1000}`,
    `${ask.free.memoryMiB} / ${ask.capacity.memoryMiB}`,
    ask.free.gpus.map((gpu) => `${gpu.count}× ${gpu.model}`).join(', ') || '—',
    { text: ask.prices.cpu, className: 'num' },
    { text: ask.prices.memory, className: 'num' },
    ask.prices.gpus.map((gpu) => `${gpu.model}: ${gpu.price}`).join(', ') || '—',
    `${ask.collateralBps / 100}%`,
    new Date(ask.expiry * 1000).toLocaleTimeString(),
  ])
  drawCurve(book)
}

function renderProviders(snapshot) {
  const { payment, collateral } = snapshot.tokens
  rows('#providers', snapshot.providers, (p) => [
    { text: short(p.provider), title: p.provider },
    { text: units(p.collateral, collateral), className: 'num' },
    { text: units(p.obligations, payment), className: 'num' },
    { text: units(p.coverage, payment), className: 'num' },
    { text: p.healthFactor === 'infinite' ? '∞' : p.healthFactor ?? 'unknown', className: 'num' },
    { text: units(p.canBack, payment), className: 'num' },
    { text: units(p.earned, payment), className: 'num' },
    p.inBook ? 'yes' : 'no',
  ])
  renderLocalProvider(snapshot)
}

/** The status snapshot of a provider running in this home (its control endpoint), when there is one. */
function renderLocalProvider({ localProvider: status, tokens }) {
  const local = $('#local')
  local.replaceChildren()
  if (!status) return
  const heading = document.createElement('h3')
  heading.textContent = 'The provider running in this home'
  const list = document.createElement('dl')
  const entries = [
    ['Address', status.address],
    ['Peer id', status.peerId],
    ['Jobs running, done, failed', status.jobs && `${status.jobs.running ?? 0}, ${status.jobs.done ?? 0}, ${status.jobs.failed ?? 0}`],
    ['Earnings pending', status.earnings && units(status.earnings.pending, tokens.payment)],
    ['Earnings settled', status.earnings && units(status.earnings.settled, tokens.payment)],
    ['Health factor', wadRatio(status.position?.healthFactor)],
    ['Runtimes', Array.isArray(status.runtimes) ? status.runtimes.map((r) => (typeof r === 'string' ? r : r.kind ?? JSON.stringify(r))).join(', ') : undefined],
    ['GPUs', Array.isArray(status.gpus) && status.gpus.length ? status.gpus.map((g) => `${g.model}${g.heldBy ? ` (deal ${short(g.heldBy)})` : ' (free)'}`).join(', ') : undefined],
  ]
  for (const [term, value] of entries) {
    if (value === undefined || value === null) continue
    const dt = document.createElement('dt')
    dt.textContent = term
    const dd = document.createElement('dd')
    dd.textContent = String(value)
    list.append(dt, dd)
  }
  const details = document.createElement('details')
  const summary = document.createElement('summary')
  summary.textContent = 'Full status'
  const pre = document.createElement('pre')
  pre.textContent = JSON.stringify(status, null, 2)
  details.append(summary, pre)
  local.append(heading, list, details)
}

function renderDeals(snapshot) {
  const { payment } = snapshot.tokens
  rows('#deals', snapshot.deals, (deal) => [
    { text: short(deal.dealId), title: deal.dealId },
    { text: short(deal.client), title: deal.client },
    { text: short(deal.provider), title: deal.provider },
    { text: units(deal.price, payment), className: 'num' },
    { text: units(deal.collateral, payment), className: 'num' },
    { text: deal.status, className: `state-${deal.status}` },
    { text: deal.updatedBlock, className: 'num' },
  ])
  $('#insurance').textContent = `Insurance fund: ${units(snapshot.insurance.fund, payment)} and ${units(snapshot.insurance.collateral, snapshot.tokens.collateral)}`
  rows('#liquidations', snapshot.liquidations, (l) =>
    l.kind === 'deal'
      ? ['deal', { text: short(l.dealId), title: l.dealId }, short(l.keeper), units(BigInt(l.refund) + BigInt(l.compensation), payment), units(l.keeperBonus, payment), l.block]
      : ['position', { text: short(l.provider), title: l.provider }, short(l.keeper), units(l.repaid, payment), `${units(l.collateralSeized, snapshot.tokens.collateral)} seized`, l.block],
  )
}

const charts = {}
function chart(id, options, data) {
  const element = document.getElementById(id)
  const width = Math.max(300, element.clientWidth || 600)
  if (!charts[id]) charts[id] = new uPlot({ width, height: 220, ...options }, data, element)
  else charts[id].setData(data)
}

function drawCurve({ curve, today }) {
  const wad = (value) => Number(BigInt(value)) / 1e18
  const xs = curve.map((p) => wad(p.utilization) * 100)
  // Today's points sit on the curve: one series of points at their own x, as a sparse column.
  const points = today.map((p) => [wad(p.utilization) * 100, wad(p.multiplier)])
  const allX = [...new Set([...xs, ...points.map(([x]) => x)])].sort((a, b) => a - b)
  const multiplierAt = (x) => {
    const i = xs.findIndex((v) => v >= x)
    if (xs[i] === x || i <= 0) return wad(curve[Math.max(i, 0)].multiplier)
    const [x0, x1, y0, y1] = [xs[i - 1], xs[i], wad(curve[i - 1].multiplier), wad(curve[i].multiplier)]
    return y0 + ((y1 - y0) * (x - x0)) / (x1 - x0)
  }
  const data = [allX, allX.map(multiplierAt), ...points.map(([px, py]) => allX.map((x) => (x === px ? py : null)))]
  const key = today.map((p) => p.resource).join()
  if (charts.curve && charts.curveKey !== key) {
    charts.curve.destroy()
    delete charts.curve
  }
  charts.curveKey = key
  const colors = ['#0969da', '#1a7f37', '#8250df', '#bf3989', '#9a6700']
  chart('curve', {
    scales: { x: { time: false } },
    axes: [{ label: 'utilization %' }, { label: 'price ×' }],
    series: [{ label: 'utilization %' }, { label: 'curve', stroke: '#57606a' }, ...today.map((p, i) => ({ label: `${p.resource} today`, stroke: colors[i % colors.length], points: { show: true, size: 10 }, paths: () => null }))],
  }, data)
}

function drawNode({ metrics }) {
  const choice = $('#metric').value
  const ts = metrics.map((p) => p.t / 1000)
  const rate = (field) => metrics.map((p, i) => (i === 0 ? null : (p[field] - metrics[i - 1][field]) / ((p.t - metrics[i - 1].t) / 1000)))
  const values = {
    residentBytes: metrics.map((p) => p.residentBytes / 2 ** 20),
    eventLoopLagP99Seconds: metrics.map((p) => p.eventLoopLagP99Seconds * 1000),
    rpcRate: rate('rpcRequests'),
    rpcErrorRate: rate('rpcErrors'),
    peers: metrics.map((p) => p.peers),
    asks: metrics.map((p) => p.asks),
  }[choice]
  if (charts.nodeChoice !== choice && charts['node-chart']) {
    charts['node-chart'].destroy()
    delete charts['node-chart']
  }
  charts.nodeChoice = choice
  chart('node-chart', { series: [{}, { label: $('#metric').selectedOptions[0].textContent, stroke: '#0969da' }] }, [ts, values])
}

function render(snapshot) {
  last = snapshot
  $('#market').textContent = `market ${snapshot.market.address} on chain ${snapshot.market.chainId}, block ${snapshot.market.block ?? '…'}`
  renderBook(snapshot)
  renderProviders(snapshot)
  renderDeals(snapshot)
  drawNode(snapshot)
  $('#status').textContent = `updated ${new Date(snapshot.at).toLocaleTimeString()}`
}

const events = new EventSource(`/api/events?token=${encodeURIComponent(token)}`)
events.onmessage = (message) => {
  if (!paused) render(JSON.parse(message.data))
}
events.addEventListener('failure', (message) => ($('#status').textContent = `update failed: ${JSON.parse(message.data).message}`))
events.onerror = () => ($('#status').textContent = 'disconnected from the node; retrying')
$('#pause').addEventListener('click', (event) => {
  paused = !paused
  event.target.setAttribute('aria-pressed', String(paused))
  event.target.textContent = paused ? 'Resume updates' : 'Pause updates'
})
$('#metric').addEventListener('change', () => last && drawNode(last))
