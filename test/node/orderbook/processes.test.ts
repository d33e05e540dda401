import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { encodeMessage } from '../../../protocol/codec/encodeMessage.ts'
import { hashAsk } from '../../../protocol/eip712/hashAsk.ts'
import { hashBid } from '../../../protocol/eip712/hashBid.ts'
import { signTestAsk, signTestBid, startProcessNode, testAddress, testKeys, testMarket, waitFor, type ProcessNode } from '../../helpers/orderbookNetwork.ts'

// Five nodes, each its own OS process on 127.0.0.1: node i dials node i-1 and node 0,
// so orders cross several hops and real sockets.
let folder: string
let nodes: ProcessNode[] = []
const backed = Object.fromEntries(testKeys.map((key) => [testAddress(key), String(10n ** 18n)]))

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'allot-processes-'))
  const seed = await startProcessNode({ home: join(folder, 'node-0'), backed })
  const others = await Promise.all(
    [1, 2, 3, 4].map((index) => startProcessNode({ home: join(folder, `node-${index}`), backed, bootstrap: [seed.address] })),
  )
  nodes = [seed, ...others]
  for (let index = 2; index < nodes.length; index++) await nodes[index]!.call('dial', nodes[index - 1]!.address)
  // Each node must see every neighbour subscribed (so every gossip stream, both ways, is open).
  await Promise.all(nodes.map((node, index) => node.call('waitForSubscribers', index === 0 ? 4 : index === 1 || index === 4 ? 2 : 3)))
})

test.after(async () => {
  await Promise.allSettled(nodes.map((node) => node.stop()))
  await rm(folder, { recursive: true, force: true })
})

const toBase64 = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64')

test('asks and bids published in separate processes reach all five, each within a second', async () => {
  const orders = [
    ...(await Promise.all([0, 1, 2].map((index) => signTestAsk(testKeys[index] as Hex)))).map((signed) => ({
      bytes: encodeMessage({ type: 'ask', body: signed }),
      hash: hashAsk(signed.ask, testMarket),
    })),
    ...(await Promise.all([3, 4].map((nonce) => signTestBid(testKeys[5] as Hex, { nonce })))).map((signed) => ({
      bytes: encodeMessage({ type: 'bid', body: signed }),
      hash: hashBid(signed.bid, testMarket),
    })),
  ]
  const published: number[] = []
  for (const [index, order] of orders.entries()) published.push(await nodes[(index * 2) % nodes.length]!.call<number>('publish', toBase64(order.bytes)))
  await waitFor(
    async () => {
      const books = await Promise.all(nodes.map(async (node) => [...(await node.call<string[]>('asks')), ...(await node.call<string[]>('bids'))]))
      return books.every((hashes) => orders.every((order) => hashes.includes(order.hash)))
    },
    { timeoutMs: 5_000, what: 'every order on every node' },
  )
  const arrivals = await Promise.all(nodes.map((node) => node.call<Record<string, number>>('arrivals')))
  const latencies = orders.flatMap((order, index) => arrivals.map((arrived) => arrived[order.hash]! - published[index]!))
  assert.ok(Math.max(...latencies) < 1_000, `latencies: ${latencies.map((ms) => ms.toFixed(1)).join(', ')} ms`)
})

test.run()
