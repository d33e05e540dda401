import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hashAsk } from '../../../protocol/eip712/hashAsk.ts'
import { hashBid } from '../../../protocol/eip712/hashBid.ts'
import {
  backAllTestKeys,
  signTestAsk,
  signTestBid,
  signTestCancel,
  testKeys,
  testMarket,
  waitFor,
  startOrderBookNetwork,
  type OrderBookNetwork,
} from '../../helpers/orderbookNetwork.ts'

let network: OrderBookNetwork
const [providerA, providerB, client] = testKeys as [`0x${string}`, `0x${string}`, `0x${string}`]

test.before(async () => {
  network = await startOrderBookNetwork({ size: 5, backing: backAllTestKeys() })
})
test.after(async () => {
  await network?.stop()
})

const everyNode = (predicate: (book: (typeof network.nodes)[number]['book']) => boolean) => () => network.nodes.every((node) => predicate(node.book))

test('an ask published on one node reaches all five books within a second', async () => {
  const signed = await signTestAsk(providerA)
  const hash = hashAsk(signed.ask, testMarket)
  const started = Date.now()
  await network.nodes[0]!.book.publishAsk(signed)
  await waitFor(everyNode((book) => book.getAsk(hash) !== undefined), { timeoutMs: 1_000, what: 'the ask on every node' })
  assert.ok(Date.now() - started < 1_000)
  for (const { book } of network.nodes) {
    assert.equal(book.asks().map((entry) => entry.hash), [hash])
    assert.is(book.getAsk(hash)!.signed.signature, signed.signature)
  }
  assert.is(network.nodes[0]!.book.stats().own.asks, 1)
  assert.is(network.nodes[1]!.book.stats().own.asks, 0)
})

test('a bid published on another node reaches all five books', async () => {
  const signed = await signTestBid(client, { nonce: 42 })
  const hash = hashBid(signed.bid, testMarket)
  await network.nodes[3]!.book.publishBid(signed)
  await waitFor(everyNode((book) => book.bids().some((entry) => entry.hash === hash)), { timeoutMs: 1_000, what: 'the bid on every node' })
})

test('a newer sequence replaces the provider’s ask everywhere; the older one stays out', async () => {
  const first = await signTestAsk(providerB, { sequence: 1 })
  const second = await signTestAsk(providerB, { sequence: 2, collateralBps: 20_000 })
  await network.nodes[1]!.book.publishAsk(first)
  await waitFor(everyNode((book) => book.getAsk(hashAsk(first.ask, testMarket)) !== undefined), { what: 'the first ask' })
  await network.nodes[2]!.book.publishAsk(second)
  const secondHash = hashAsk(second.ask, testMarket)
  await waitFor(everyNode((book) => book.getAsk(secondHash) !== undefined), { what: 'the replacement' })
  for (const { book } of network.nodes) {
    assert.is(book.getAsk(hashAsk(first.ask, testMarket)), undefined)
    assert.is(book.asks().filter((entry) => entry.ask.provider === second.ask.provider).length, 1)
  }
  // The publishing node refuses to go back.
  try {
    await network.nodes[2]!.book.publishAsk(first)
    assert.unreachable('republished an older sequence')
  } catch (error) {
    assert.is((error as Error).name, 'OrderRejectedError')
    assert.is((error as { reason: string }).reason, 'stale')
  }
})

test('a cancel voids the provider’s ask on every node, and asks signed under the old nonce stay out', async () => {
  const before = network.nodes.map(({ book }) => book.asks().length)
  const cancel = await signTestCancel(providerB, 1)
  await network.nodes[4]!.book.publishCancel(cancel)
  await waitFor(everyNode((book) => !book.asks().some((entry) => entry.ask.provider === cancel.cancel.provider)), { what: 'the cancel' })
  network.nodes.forEach(({ book }, index) => assert.is(book.asks().length, before[index]! - 1))
  const stale = await signTestAsk(providerB, { sequence: 3, cancelNonce: 0 })
  try {
    await network.nodes[0]!.book.publishAsk(stale)
    assert.unreachable('accepted an ask under a cancelled nonce')
  } catch (error) {
    assert.is((error as { reason: string }).reason, 'cancelled')
  }
  const fresh = await signTestAsk(providerB, { sequence: 3, cancelNonce: 1 })
  await network.nodes[0]!.book.publishAsk(fresh)
  await waitFor(everyNode((book) => book.getAsk(hashAsk(fresh.ask, testMarket)) !== undefined), { what: 'the ask under the new nonce' })
})

test('a node that joins late gets the book, cancels included, by sync from several peers', async () => {
  const late = await network.add()
  const refused: string[] = []
  late.book.addEventListener('rejected', (event) => void (event.detail.source !== 'gossip' && refused.push(`${event.detail.source}:${event.detail.reason}`)))
  await Promise.all(network.nodes.slice(0, 3).map((node) => late.host.dial(node.host.getMultiaddrs()[0]!)))
  assert.is(late.book.asks().length, 0)
  const added = await late.book.sync()
  const reference = network.nodes[0]!.book
  assert.is(added.asks, reference.asks().length)
  assert.is(added.bids, reference.bids().length)
  assert.equal(late.book.asks().map((entry) => entry.hash).sort(), reference.asks().map((entry) => entry.hash).sort())
  assert.equal(late.book.bids().map((entry) => entry.hash).sort(), reference.bids().map((entry) => entry.hash).sort())
  // It learned providerB's cancel too: the old-nonce ask is refused here as well.
  try {
    await late.book.publishAsk(await signTestAsk(providerB, { sequence: 9, cancelNonce: 0 }))
    assert.unreachable('accepted an ask under a cancelled nonce')
  } catch (error) {
    assert.is((error as { reason: string }).reason, 'cancelled')
  }
  // A second sync adds nothing, and what sync offered twice is not counted as refused.
  // (Gossip may also replay recent messages to the newcomer: those are checked like any gossip.)
  assert.equal(await late.book.sync(), { asks: 0, bids: 0 })
  assert.equal(refused, ['local:cancelled'])
})

test.run()
