// npm run bench:validate — orders fully validated per second on one core:
// decode (envelope, UTF-8, JSON, schema, canonical form), market, expiry and
// horizon, then the maker's signature over the EIP-712 digest. This is the
// stateless part of the order book's gossip validator, run on one thread over a
// realistic mix of asks (CPU-only and GPU) and bids.
//
// The figure is orders per CPU-second, so a busy machine does not understate it;
// the table shows the wall-clock rate beside it.
//
// The same loop runs with the order book's metrics off and on (received,
// accepted or refused, and the validation-time histogram, as the gossip
// validator records them), in alternating slices so that both see the same
// machine; the JSON line carries both rates.
//
// Options: --orders N (distinct orders, default 2000), --seconds S (default 3).
import { parseArgs } from 'node:util'
import { Registry } from 'prom-client'
import { createOrderBookMetrics, noOrderBookMetrics, type OrderBookMetrics } from '../node/orderbook/metrics.ts'
import { validateAsk } from '../protocol/validation/validateAsk.ts'
import { validateBid } from '../protocol/validation/validateBid.ts'
import { verifyAsk } from '../protocol/validation/verifyAsk.ts'
import { verifyBid } from '../protocol/validation/verifyBid.ts'
import { signatureBackend } from '../node/orderbook/recoverSigner.ts'
import { decodeOrder, verifyAskSignature, verifyBidSignature } from '../node/orderbook/verifyOrder.ts'
import { benchMarket, benchOrders } from './orders.ts'

const { values } = parseArgs({ options: { orders: { type: 'string', default: '2000' }, seconds: { type: 'string', default: '3' } } })
const count = Number(values.orders)
const seconds = Number(values.seconds)
const now = Math.floor(Date.now() / 1000)
const { orders } = benchOrders(count, { seed: 7, providers: 500, clients: 500, now })

async function check(bytes: Uint8Array, metrics: OrderBookMetrics): Promise<boolean> {
  const decoded = decodeOrder(bytes, ['ask', 'bid'])
  if (!decoded.valid) {
    metrics.received('unknown')
    metrics.rejected('unknown', decoded.reason)
    return false
  }
  const message = decoded.message
  metrics.received(message.type)
  let valid: boolean
  if (message.type === 'ask') valid = validateAsk(message.body, { ...benchMarket, now }).valid && (await verifyAskSignature(message.body, benchMarket)).valid
  else valid = message.type === 'bid' && validateBid(message.body, { ...benchMarket, now }).valid && (await verifyBidSignature(message.body, benchMarket)).valid
  if (valid) metrics.accepted(message.type)
  else metrics.rejected(message.type, 'bad-signature')
  return valid
}

/** Validation as the gossip validator records it: timed into the histogram. */
async function validateWith(bytes: Uint8Array, metrics: OrderBookMetrics): Promise<boolean> {
  const started = performance.now()
  const valid = await check(bytes, metrics)
  metrics.validated((performance.now() - started) / 1000)
  return valid
}

const recording = createOrderBookMetrics({ registry: new Registry(), sizes: () => ({ asks: 0, bids: 0 }) })
const validate = (bytes: Uint8Array) => validateWith(bytes, noOrderBookMetrics)
const validateRecorded = (bytes: Uint8Array) => validateWith(bytes, recording)

/** Alternates short slices of each step (after a warm-up of each) for `ms` in all; returns each one's operations per CPU-second. */
async function interleaved(ms: number, steps: Array<(bytes: Uint8Array) => Promise<unknown>>): Promise<number[]> {
  for (const step of steps) for (const order of orders.slice(0, 500)) await step(order.bytes)
  const done = steps.map(() => 0)
  const cpuMs = steps.map(() => 0)
  const sliceMs = 200
  let next = 0
  for (let slice = 0; slice < Math.max(2, Math.round(ms / sliceMs)); slice++) {
    const index = slice % steps.length
    const before = process.cpuUsage()
    const started = performance.now()
    while (performance.now() - started < sliceMs) {
      for (let count = 0; count < 50; count++) await steps[index]!(orders[next++ % orders.length]!.bytes)
      done[index]! += 50
    }
    const cpu = process.cpuUsage(before)
    cpuMs[index]! += (cpu.user + cpu.system) / 1000
  }
  return done.map((count, index) => (count * 1000) / cpuMs[index]!)
}

/** Runs `step` over the orders, round robin, for `ms`; returns operations per second. */
async function rate(ms: number, step: (bytes: Uint8Array) => Promise<unknown> | unknown): Promise<number> {
  for (const order of orders.slice(0, 200)) await step(order.bytes)
  let done = 0
  const started = performance.now()
  while (performance.now() - started < ms) {
    for (let index = 0; index < 100; index++) await step(orders[done++ % orders.length]!.bytes)
  }
  return (done * 1000) / (performance.now() - started)
}

for (const order of orders) if (!(await validate(order.bytes))) throw new Error(`a benchmark order failed validation (${order.type} ${order.hash})`)

const cpuBefore = process.cpuUsage()
const wallBefore = performance.now()
const full = await rate(seconds * 1000, validate)
const cpuShare = (() => {
  const cpu = process.cpuUsage(cpuBefore)
  return (cpu.user + cpu.system) / 1000 / (performance.now() - wallBefore)
})()
const decodeOnly = await rate(1000, (bytes) => decodeOrder(bytes, ['ask', 'bid']))
const [metricsOff, metricsOn] = await interleaved(seconds * 2000, [validate, validateRecorded])
const viemPath = await rate(1000, async (bytes) => {
  const decoded = decodeOrder(bytes, ['ask', 'bid'])
  if (!decoded.valid) return
  if (decoded.message.type === 'ask') await verifyAsk(decoded.message.body, { ...benchMarket, now })
  else if (decoded.message.type === 'bid') await verifyBid(decoded.message.body, { ...benchMarket, now })
})

const rows: Array<[string, string]> = [
  ['distinct orders (half asks, half bids)', String(orders.length)],
  ['mean order size, bytes', (orders.reduce((total, order) => total + order.bytes.length, 0) / orders.length).toFixed(0)],
  ['signature backend', signatureBackend],
  ['full validation, orders per CPU-second (the figure below)', (full / cpuShare).toFixed(0)],
  ['full validation, orders per wall-clock second', full.toFixed(0)],
  ['  of which decode + schema alone, orders/s', decodeOnly.toFixed(0)],
  ['  same checks through viem (protocol verifyAsk/verifyBid), orders/s', viemPath.toFixed(0)],
  ['CPU share of one core the run got (others share this machine)', cpuShare.toFixed(2)],
  ['metrics off, orders per CPU-second (alternating slices)', metricsOff!.toFixed(0)],
  ['metrics on (counters + validation histogram), orders per CPU-second', metricsOn!.toFixed(0)],
  ['  metrics on / off', (metricsOn! / metricsOff!).toFixed(3)],
]
const width = Math.max(...rows.map(([label]) => label.length))
console.log('Order validation, one thread')
for (const [label, value] of rows) console.log(`  ${label.padEnd(width)}  ${value}`)
// Per CPU-second of the process (all its threads, GC included): what one whole core does,
// however busy the rest of the machine is.
console.log(
  JSON.stringify({
    ordersPerSec: Math.round(full / cpuShare),
    metricsOffOrdersPerSec: Math.round(metricsOff!),
    metricsOnOrdersPerSec: Math.round(metricsOn!),
    metricsCostPct: Number((100 * (1 - metricsOn! / metricsOff!)).toFixed(2)),
  }),
)
