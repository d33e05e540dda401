import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { encodeMessage } from '../../../protocol/codec/encodeMessage.ts'
import {
  backAllTestKeys,
  connectBooks,
  signTestAsk,
  signTestBid,
  startOrderBookNode,
  testKeys,
  testTopics,
  waitFor,
  type OrderBookNode,
} from '../../helpers/orderbookNetwork.ts'

// Two nodes on loopback, each with its own registry: what B receives from A over gossip moves B's series.
let folder: string
let a: OrderBookNode
let b: OrderBookNode
const [provider, forger, client] = testKeys as [Hex, Hex, Hex]

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'allot-metrics-'))
  const backing = backAllTestKeys()
  a = await startOrderBookNode({ home: join(folder, 'a'), backing })
  b = await startOrderBookNode({ home: join(folder, 'b'), backing, bootstrap: [a.address] })
  await connectBooks(b, a)
})

test.after(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()])
  await rm(folder, { recursive: true, force: true })
})

/** One sample of a series, by its labels, from the Prometheus text the registry serves. */
async function sample(node: OrderBookNode, name: string, labels: Record<string, string> = {}): Promise<number> {
  const text = await node.registry.metrics()
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`)
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(?:\{([^}]*)\})? (\S+)$/.exec(line)
    if (!match || match[1] !== name) continue
    const have = match[2]?.split(',') ?? []
    if (wanted.every((label) => have.includes(label)) && have.length === wanted.length) return Number(match[3])
  }
  return 0
}

test('orders gossiped to a node move its received, accepted, validation, propagation and book series', async () => {
  const before = { asks: await sample(b, 'allot_orders_accepted_total', { kind: 'ask' }), validated: await sample(b, 'allot_order_validation_seconds_count') }
  await a.book.publishAsk(await signTestAsk(provider))
  await a.book.publishBid(await signTestBid(client))
  await waitFor(() => b.book.asks().length === 1 && b.book.bids().length === 1, { what: 'B to hold the ask and the bid' })
  assert.is(await sample(b, 'allot_orders_received_total', { kind: 'ask' }), 1)
  assert.is(await sample(b, 'allot_orders_received_total', { kind: 'bid' }), 1)
  assert.is(await sample(b, 'allot_orders_accepted_total', { kind: 'ask' }), before.asks + 1)
  assert.is(await sample(b, 'allot_orders_accepted_total', { kind: 'bid' }), 1)
  assert.is(await sample(b, 'allot_order_validation_seconds_count'), before.validated + 2)
  assert.ok((await sample(b, 'allot_order_validation_seconds_sum')) > 0)
  assert.is(await sample(b, 'allot_order_propagation_seconds_count'), 1)
  assert.is(await sample(b, 'allot_book_orders', { kind: 'ask' }), 1)
  assert.is(await sample(b, 'allot_book_orders', { kind: 'bid' }), 1)
  // The publisher counts its own orders as received and accepted, but nothing passed its gossip validator.
  assert.is(await sample(a, 'allot_orders_accepted_total', { kind: 'ask' }), 1)
  assert.is(await sample(a, 'allot_order_validation_seconds_count'), 0)
})

test('a forged ask and undecodable bytes are counted as refused, by kind and reason', async () => {
  // A's gossipsub publishes without running A's own validator: B's validator is the one that judges.
  const forged = await signTestAsk(forger)
  forged.ask = { ...forged.ask, provider: (await signTestAsk(provider)).ask.provider, sequence: 9 }
  await a.host.services.pubsub.publish(testTopics.asks, encodeMessage({ type: 'ask', body: forged }))
  await a.host.services.pubsub.publish(testTopics.bids, new TextEncoder().encode('not an order'))
  await waitFor(async () => (await sample(b, 'allot_orders_rejected_total', { kind: 'ask', reason: 'bad-signature' })) === 1, { what: 'the forged ask refused' })
  await waitFor(async () => (await sample(b, 'allot_orders_rejected_total', { kind: 'unknown', reason: 'malformed' })) === 1, { what: 'the bytes refused' })
  assert.is(await sample(b, 'allot_orders_received_total', { kind: 'unknown' }), 1)
  assert.is(await sample(b, 'allot_orders_received_total', { kind: 'ask' }), 2)
  assert.is(b.book.stats().rejected['bad-signature'], 1)
  assert.is(await sample(b, 'allot_book_orders', { kind: 'ask' }), 1)
})

test.run()
