import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { hashAsk } from '../../../protocol/eip712/hashAsk.ts'
import { createStaticBacking } from '../../../node/orderbook/backing.ts'
import type { OrderBookInit } from '../../../node/orderbook/orderBook.ts'
import {
  nowSec,
  signTestAsk,
  signTestBid,
  signTestCancel,
  startOrderBookNode,
  testAddress,
  testKeys,
  testMarket,
  connectBooks,
  waitFor,
  type OrderBookNode,
} from '../../helpers/orderbookNetwork.ts'

let folder: string
const running: OrderBookNode[] = []
const backing = createStaticBacking(Object.fromEntries(testKeys.map((key, index) => [testAddress(key), 100n * BigInt(index + 1)])))

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'allot-storage-'))
})
test.after(async () => {
  await Promise.allSettled(running.map((node) => node.stop()))
  await rm(folder, { recursive: true, force: true })
})

async function start(name: string, init?: OrderBookInit, bootstrap?: OrderBookNode) {
  const node = await startOrderBookNode({ home: join(folder, name), backing, init })
  if (bootstrap) await connectBooks(node, bootstrap)
  running.push(node)
  return node
}

async function stop(node: OrderBookNode) {
  await node.stop()
  running.splice(running.indexOf(node), 1)
}

const key = (index: number) => testKeys[index] as Hex

test('a node restarted from its home keeps its peer id and its book; what expired meanwhile is dropped', async () => {
  const publisher = await start('publisher')
  let clock = nowSec()
  const keeper = await start('keeper', { now: () => clock }, publisher)
  const lasting = await signTestAsk(key(0), { expiry: clock + 600 })
  const brief = await signTestAsk(key(1), { expiry: clock + 60 })
  const bid = await signTestBid(key(2))
  await publisher.book.publishAsk(lasting)
  await publisher.book.publishAsk(brief)
  await publisher.book.publishBid(bid)
  await publisher.book.publishCancel(await signTestCancel(key(3), 4))
  const own = await signTestAsk(key(4), { sequence: 7 })
  await keeper.book.publishAsk(own)
  await waitFor(() => keeper.book.asks().length === 3 && keeper.book.bids().length === 1 && keeper.book.stats().accepted.cancels === 1, { what: 'the keeper’s book' })
  const peerId = keeper.host.peerId.toString()
  const before = keeper.book.asks().map((entry) => entry.hash).sort()
  await stop(keeper)
  await stop(publisher)

  clock += 120
  const restarted = await start('keeper', { now: () => clock })
  assert.is(restarted.host.peerId.toString(), peerId)
  // Others' asks come back once the backing monitor's first pass has confirmed them.
  await waitFor(() => restarted.book.asks().length === before.length - 1, { what: 'the reloaded asks, confirmed' })
  assert.equal(
    restarted.book.asks().map((entry) => entry.hash).sort(),
    before.filter((hash) => hash !== hashAsk(brief.ask, testMarket)),
  )
  assert.is(restarted.book.bids().length, 1)
  assert.is(restarted.book.stats().own.asks, 1)
  // Republishing its own ask is fine; sequence and cancel state came back too, so older ones stay out.
  await restarted.book.publishAsk(own)
  for (const [signed, reason] of [
    [await signTestAsk(key(4), { sequence: 6 }), 'stale'],
    [await signTestAsk(key(3), { cancelNonce: 3 }), 'cancelled'],
  ] as const) {
    try {
      await restarted.book.publishAsk(signed)
      assert.unreachable(`accepted an ask that should be ${reason}`)
    } catch (error) {
      assert.is((error as { reason: string }).reason, reason)
    }
  }
  await stop(restarted)
})

test('an ask reloaded from the store is not matched before its backing is confirmed, and goes if its provider lost it while the node was down', async () => {
  const amounts = createStaticBacking({ [testAddress(key(5))]: 100n, [testAddress(key(6))]: 100n })
  const publisher = await start('publisher-reload')
  const client = await startOrderBookNode({ home: join(folder, 'client-reload'), backing: amounts })
  running.push(client)
  await connectBooks(client, publisher)
  const kept = await signTestAsk(key(5))
  const lost = await signTestAsk(key(6))
  await publisher.book.publishAsk(kept)
  await publisher.book.publishAsk(lost)
  await waitFor(() => client.book.asks().length === 2, { what: 'both asks at the client' })
  await stop(client)
  amounts.set(testAddress(key(6)), 0n)

  // The first backing check is held until the book has started: nothing reloaded is visible before it.
  let confirm = () => {}
  const held = new Promise<void>((resolve) => (confirm = resolve))
  const gated = { ...amounts, canBack: async (provider: Hex, collateral: bigint) => (await held, amounts.canBack(provider, collateral)) }
  const restarted = await startOrderBookNode({ home: join(folder, 'client-reload'), backing: gated })
  running.push(restarted)
  try {
    assert.is(restarted.book.getAsk(hashAsk(kept.ask, testMarket)), undefined)
    assert.is(restarted.book.getAsk(hashAsk(lost.ask, testMarket)), undefined)
    assert.is(restarted.book.asks().length, 0)
  } finally {
    // Stopping the book waits for the check it holds.
    confirm()
  }
  await waitFor(() => restarted.book.getAsk(hashAsk(kept.ask, testMarket)) !== undefined, { what: 'the backed ask, confirmed' })
  assert.is(restarted.book.getAsk(hashAsk(lost.ask, testMarket)), undefined)
  assert.is(restarted.book.stats().removed.unbacked, 1)
  await stop(restarted)
  await stop(publisher)
})

test('a full book evicts its least backed ask for a better backed one, refuses a worse one, and pins its own', async () => {
  const publisher = await start('publisher-2')
  const book = await start('capped', { maxOrders: 3 }, publisher)
  const removed: string[] = []
  book.book.addEventListener('removed', (event) => removed.push(`${event.detail.reason}:${event.detail.hash}`))
  // Backing grows with the key index: key(5) is backed by 600, key(9) by 1000.
  const asks = await Promise.all([6, 7, 8].map((index) => signTestAsk(key(index))))
  for (const signed of asks) await publisher.book.publishAsk(signed)
  await waitFor(() => book.book.asks().length === 3, { what: 'three asks' })
  await book.book.publishAsk(await signTestAsk(key(10)))
  assert.is(book.book.asks().length, 4, 'its own ask does not count against the cap')

  await publisher.book.publishAsk(await signTestAsk(key(9)))
  await waitFor(() => removed.length === 1, { what: 'an eviction' })
  assert.equal(removed, [`evicted:${hashAsk(asks[0]!.ask, testMarket)}`])
  await publisher.book.publishAsk(await signTestAsk(key(5)))
  await waitFor(() => book.book.stats().rejected['book-full'] === 1, { what: 'a refusal' })
  assert.equal(
    book.book.asks().map((entry) => entry.ask.provider).sort(),
    [7, 8, 9, 10].map((index) => testAddress(key(index))).sort(),
  )
  await stop(book)
  await stop(publisher)
})

test('expired orders are pruned on a timer, and an ask whose provider lost its backing is dropped', async () => {
  const publisher = await start('publisher-3')
  let clock = nowSec()
  const pruned = await start('pruned', { now: () => clock, pruneInterval: 50 }, publisher)
  await publisher.book.publishAsk(await signTestAsk(key(11), { expiry: clock + 100 }))
  await publisher.book.publishAsk(await signTestAsk(key(12), { expiry: clock + 600 }))
  await publisher.book.publishBid(await signTestBid(key(2), { expiry: clock + 100, nonce: 5 }))
  await waitFor(() => pruned.book.stats().asks === 2 && pruned.book.stats().bids === 1, { what: 'the orders' }).catch((error) => {
    throw new Error(`${error.message}: ${JSON.stringify({ pruned: pruned.book.stats(), publisher: publisher.book.stats(), clock, now: nowSec() })}`)
  })
  clock += 101
  await waitFor(() => pruned.book.stats().asks === 1 && pruned.book.stats().bids === 0, { what: 'pruning' })
  assert.is(pruned.book.stats().removed.expired, 2)

  backing.set(testAddress(key(12)), 0n)
  await waitFor(() => pruned.book.stats().asks === 0, { what: 'the unbacked ask to go' })
  assert.is(pruned.book.stats().removed.unbacked, 1)
  backing.set(testAddress(key(12)), 1300n)
  await stop(pruned)
  const reopened = await start('pruned', { now: () => clock })
  assert.is(reopened.book.stats().asks, 0, 'pruned orders were left in the store')
  assert.is(reopened.book.stats().bids, 0)
})

test.run()
