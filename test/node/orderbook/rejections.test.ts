import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { MAX_MESSAGE_BYTES, WIRE_VERSION } from '../../../protocol/constants.ts'
import { encodeMessage } from '../../../protocol/codec/encodeMessage.ts'
import { messageTypeCodes } from '../../../protocol/codec/messageTypes.ts'
import type { SignedAsk } from '../../../protocol/types/ask.ts'
import { bookRejectionAction, type BookRejection } from '../../../node/orderbook/rejection.ts'
import { createHost, type P2PHost } from '../../../node/p2p/createHost.ts'
import { loadPeerKey } from '../../../node/p2p/identity.ts'
import {
  backAllTestKeys,
  connectBooks,
  makeTestAsk,
  nowSec,
  signAsk,
  signTestAsk,
  signTestBid,
  startOrderBookNode,
  testKeys,
  testMarket,
  testTopics,
  waitFor,
  type OrderBookNode,
} from '../../helpers/orderbookNetwork.ts'

// An honest node A, its honest neighbour B, and for each case a fresh attacker M
// connected to A alone: what A refuses must never reach B.
let folder: string
let a: OrderBookNode
let b: OrderBookNode
const attackers: P2PHost[] = []
const [provider, other, client] = testKeys as [Hex, Hex, Hex]
const unbackedKey: Hex = `0x${'b7'.repeat(32)}`

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'allot-reject-'))
  const backing = backAllTestKeys()
  a = await startOrderBookNode({ home: join(folder, 'a'), backing })
  b = await startOrderBookNode({ home: join(folder, 'b'), backing, bootstrap: [a.address] })
  await connectBooks(b, a)
  // Something to keep unchanged: one ask (sequence 2) and one bid.
  await a.book.publishAsk(await signTestAsk(provider, { sequence: 2 }))
  await a.book.publishBid(await signTestBid(client))
  await waitFor(() => b.book.asks().length === 1 && b.book.bids().length === 1, { what: 'B to hold the initial book' })
})

test.after(async () => {
  await Promise.allSettled(attackers.map((host) => host.stop()))
  await Promise.allSettled([a?.stop(), b?.stop()])
  await rm(folder, { recursive: true, force: true })
})

const snapshot = (node: OrderBookNode) => ({
  asks: node.book.asks().map((entry) => entry.hash).sort(),
  bids: node.book.bids().map((entry) => entry.hash).sort(),
})

async function attacker(): Promise<P2PHost> {
  const host = await createHost({ privateKey: await loadPeerKey(join(folder, `m-${attackers.length}`)), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await host.start()
  attackers.push(host)
  // M subscribes only so that A's seeing it proves M's gossip stream to A is open.
  host.services.pubsub.subscribe(testTopics.asks)
  host.services.pubsub.subscribe(testTopics.bids)
  await connectBooks({ host }, a)
  return host
}

/** M sends `bytes` to A on `topic`; A must refuse them for `reason` and leave both books as they were. */
async function expectRejected(reason: BookRejection, bytes: Uint8Array, topic = testTopics.asks) {
  const before = { a: snapshot(a), b: snapshot(b), bRejected: b.book.stats().rejected }
  const count = a.book.stats().rejected[reason] ?? 0
  const m = await attacker()
  await m.services.pubsub.publish(topic, bytes)
  await waitFor(() => (a.book.stats().rejected[reason] ?? 0) === count + 1, { timeoutMs: 3_000, what: `A to reject for ${reason}` })
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(snapshot(a), before.a)
  assert.equal(snapshot(b), before.b)
  assert.equal(b.book.stats().rejected, before.bRejected, 'A forwarded what it refused')
  // What gossipsub scores M by: invalid deliveries count only for `reject`.
  const invalid = () => invalidDeliveries(a.host, m.peerId.toString(), topic)
  if (bookRejectionAction[reason] === 'reject') await waitFor(() => invalid() === 1, { timeoutMs: 2_000, what: `${reason} to count against M` })
  else assert.is(invalid(), 0, `${reason} counted against M`)
  await m.stop()
}

function invalidDeliveries(host: P2PHost, peer: string, topic: string): number {
  const stats = (host.services.pubsub as unknown as { dumpPeerScoreStats: () => Record<string, { topics: Record<string, { invalidMessageDeliveries: number }> }> }).dumpPeerScoreStats()
  return Math.round(stats[peer]?.topics[topic]?.invalidMessageDeliveries ?? 0)
}

const askBytes = (signed: SignedAsk) => encodeMessage({ type: 'ask', body: signed })

test('forged signature: bad-signature, rejected', async () => {
  const forged = await signAsk(other, makeTestAsk(provider, { sequence: 5 }))
  await expectRejected('bad-signature', askBytes(forged))
})

test('wrong chain: wrong-domain, rejected', async () => {
  const market = { ...testMarket, chainId: 1 }
  await expectRejected('wrong-domain', askBytes(await signTestAsk(provider, { sequence: 6 }, market)))
})

test('wrong market: wrong-domain, rejected', async () => {
  const market = { ...testMarket, market: '0x00000000000000000000000000000000000000aa' as const }
  await expectRejected('wrong-domain', askBytes(await signTestAsk(provider, { sequence: 7 }, market)))
})

test('a signature for another market on this market’s order: bad-signature', async () => {
  const market = { ...testMarket, chainId: 1 }
  const signed = await signTestAsk(provider, { sequence: 8 }, market)
  await expectRejected('bad-signature', askBytes({ ...signed, chainId: testMarket.chainId }))
})

test('expired: expired, ignored', async () => {
  const now = nowSec()
  await expectRejected('expired', askBytes(await signTestAsk(provider, { sequence: 9, createdAt: now - 100, expiry: now - 1 })))
})

test('far-future expiry: far-future, rejected', async () => {
  await expectRejected('far-future', askBytes(await signTestAsk(provider, { sequence: 10, expiry: nowSec() + 3_600 + 120 })))
})

test('replayed older sequence: stale, ignored', async () => {
  await expectRejected('stale', askBytes(await signTestAsk(provider, { sequence: 1 })))
})

test('oversized: oversized, rejected', async () => {
  const bytes = new Uint8Array(MAX_MESSAGE_BYTES + 100)
  bytes.set(askBytes(await signTestAsk(provider, { sequence: 11 })))
  await expectRejected('oversized', bytes)
})

test('garbage bytes: malformed, rejected', async () => {
  await expectRejected('malformed', new TextEncoder().encode('this is not an order'))
})

test('a well-formed envelope around a broken body: schema, rejected', async () => {
  const json = new TextEncoder().encode(JSON.stringify({ chainId: 31337, market: testMarket.market, ask: { provider: 'me' }, signature: '0x' }))
  await expectRejected('schema', new Uint8Array([WIRE_VERSION, messageTypeCodes.ask, ...json]))
})

test('a bid on the asks topic: unexpected-type, rejected', async () => {
  await expectRejected('unexpected-type', encodeMessage({ type: 'bid', body: await signTestBid(client, { nonce: 99 }) }))
})

test('unbacked provider: unbacked, ignored', async () => {
  await expectRejected('unbacked', askBytes(await signTestAsk(unbackedKey)))
})

test('bids are checked too: a forged bid is rejected on the bids topic', async () => {
  const bid = await signTestBid(client, { nonce: 100 })
  const forged = { ...bid, bid: { ...bid.bid, maxPrice: bid.bid.maxPrice * 2n } }
  await expectRejected('bad-signature', encodeMessage({ type: 'bid', body: forged }), testTopics.bids)
})

test.run()
