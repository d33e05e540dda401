import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { askResourceClasses, findResourceProviders, provideResourceClasses, resourceClassCid } from '../../node/p2p/resourceClasses.ts'
import { backAllTestKeys, makeTestAsk, signTestAsk, startOrderBookNetwork, testKeys, testMarket, waitFor, type OrderBookNetwork } from '../helpers/orderbookNetwork.ts'

let network: OrderBookNetwork

test.before(async () => {
  network = await startOrderBookNetwork({ size: 5, backing: backAllTestKeys(), init: { advertise: true } })
  // Provider records need DHT peers: wait until identify has filled every routing table.
  const routingTableSize = (node: (typeof network.nodes)[number]) => (node.host.services.dht as unknown as { routingTable: { size: number } }).routingTable.size
  await waitFor(() => network.nodes.every((node) => routingTableSize(node) >= 2), { what: 'DHT routing tables' })
})
test.after(async () => {
  await network?.stop()
})

test('resource classes of an ask, and their keys, differ by class and by market', () => {
  assert.equal(askResourceClasses(makeTestAsk(testKeys[0] as Hex)), ['gpu/nvidia-h100-80gb', 'runtime/wasm', 'runtime/process'])
  const h100 = resourceClassCid(testMarket, 'gpu/nvidia-h100-80gb')
  assert.is(h100.toString(), resourceClassCid({ ...testMarket, market: testMarket.market.toUpperCase().replace('0X', '0x') as `0x${string}` }, 'gpu/nvidia-h100-80gb').toString())
  assert.is.not(h100.toString(), resourceClassCid(testMarket, 'gpu/nvidia-a100-40gb').toString())
  assert.is.not(h100.toString(), resourceClassCid({ ...testMarket, chainId: 1 }, 'gpu/nvidia-h100-80gb').toString())
})

test('a provider that publishes an ask is found through the DHT by its GPU model and runtime', async () => {
  const [provider, , , , client] = network.nodes as [(typeof network.nodes)[0], unknown, unknown, unknown, (typeof network.nodes)[0]]
  await provider.book.publishAsk(await signTestAsk(testKeys[0] as Hex))
  const find = async (resourceClass: 'gpu/nvidia-h100-80gb' | 'runtime/process') =>
    (await findResourceProviders(client.host, { ...testMarket, resourceClass, signal: AbortSignal.timeout(5_000) })).map((info) => info.id.toString())
  await waitFor(async () => (await find('gpu/nvidia-h100-80gb')).includes(provider.host.peerId.toString()), { timeoutMs: 15_000, what: 'the H100 provider record' })
  assert.ok((await find('runtime/process')).includes(provider.host.peerId.toString()))
})

test('a class nobody provides finds nobody, and explicit provide works without a book', async () => {
  const [, other, , seeker] = network.nodes as [unknown, (typeof network.nodes)[0], unknown, (typeof network.nodes)[0]]
  const none = await findResourceProviders(seeker.host, { ...testMarket, resourceClass: 'gpu/nvidia-b200-192gb', signal: AbortSignal.timeout(5_000) })
  assert.equal(none, [])
  await provideResourceClasses(other.host, { ...testMarket, classes: ['gpu/nvidia-b200-192gb'], signal: AbortSignal.timeout(10_000) })
  const found = await findResourceProviders(seeker.host, { ...testMarket, resourceClass: 'gpu/nvidia-b200-192gb', signal: AbortSignal.timeout(5_000) })
  assert.equal(found.map((info) => info.id.toString()), [other.host.peerId.toString()])
})

test.run()
