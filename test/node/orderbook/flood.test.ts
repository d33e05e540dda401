import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { encodeMessage } from '../../../protocol/codec/encodeMessage.ts'
import { hashAsk } from '../../../protocol/eip712/hashAsk.ts'
import { createHost, type P2PHost } from '../../../node/p2p/createHost.ts'
import { loadPeerKey } from '../../../node/p2p/identity.ts'
import {
  backAllTestKeys,
  signTestAsk,
  startOrderBookNetwork,
  testKeys,
  testMarket,
  testTopics,
  waitFor,
  type OrderBookNetwork,
} from '../../helpers/orderbookNetwork.ts'

let network: OrderBookNetwork
let flooder: P2PHost

test.before(async () => {
  network = await startOrderBookNetwork({ size: 4, backing: backAllTestKeys() })
  const folder = await mkdtemp(join(tmpdir(), 'allot-flood-'))
  flooder = await createHost({ privateKey: await loadPeerKey(folder), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await flooder.start()
  await rm(folder, { recursive: true, force: true })
  await Promise.all(network.nodes.slice(0, 2).map((node) => flooder.dial(node.host.getMultiaddrs()[0]!)))
  await waitFor(() => flooder.services.pubsub.getSubscribers(testTopics.asks).length === 2, { what: 'the flooder to see its victims' })
})

test.after(async () => {
  await flooder?.stop()
  await network?.stop()
})

test('a peer flooding forged asks is graylisted while honest asks still arrive in time', async () => {
  const [a, b, , d] = network.nodes as [(typeof network.nodes)[0], (typeof network.nodes)[0], unknown, (typeof network.nodes)[0]]
  const flooderId = flooder.peerId.toString()
  const fromFlooder = { a: 0, b: 0 }
  a.book.addEventListener('rejected', (event) => void (event.detail.from === flooderId && fromFlooder.a++))
  b.book.addEventListener('rejected', (event) => void (event.detail.from === flooderId && fromFlooder.b++))

  // Forged asks: a real signature over sequence 1, relabelled with other sequences.
  const template = await signTestAsk(testKeys[15]!)
  const forged = Array.from({ length: 4_000 }, (_, index) =>
    encodeMessage({ type: 'ask', body: { ...template, ask: { ...template.ask, sequence: index + 2 } } }),
  )
  let sent = 0
  let flooding = true
  const flood = (async () => {
    while (flooding && sent < forged.length) {
      for (let burst = 0; burst < 150; burst++) await flooder.services.pubsub.publish(testTopics.asks, forged[sent++]!).catch(() => {})
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
  })()

  // Meanwhile an honest provider's node publishes five asks, one every 300 ms; the flooder shares this
  // process (and its two cores) with every victim, so "in time" allows for its own sending too.
  const latencies: number[] = []
  for (let index = 0; index < 5; index++) {
    await new Promise((resolve) => setTimeout(resolve, 300))
    const signed = await signTestAsk(testKeys[index] as Hex)
    const hash = hashAsk(signed.ask, testMarket)
    const published = Date.now()
    await d.book.publishAsk(signed)
    await waitFor(() => network.nodes.every((node) => node.book.getAsk(hash) !== undefined), { timeoutMs: 3_000, what: `honest ask ${index}` })
    latencies.push(Date.now() - published)
  }
  flooding = false
  await flood

  // Unthrottled, the victims would check every forged signature (~0.5 ms each) ahead of the honest asks.
  assert.ok(Math.max(...latencies) < 2_000, `honest asks took ${latencies.join(', ')} ms`)
  for (const victim of [a, b]) {
    const score = (victim.host.services.pubsub as unknown as { getScore: (id: string) => number }).getScore(flooderId)
    assert.ok(score < -80, `the flooder's score is ${score}, above the graylist threshold`)
  }
  // Graylisted, much of the flood is dropped unread: fewer refusals than messages. How many
  // arrive before the score crosses the threshold depends on the machine's load (52 % was
  // seen on a busy CI run); the score check above is what shows the graylisting.
  assert.ok(fromFlooder.a < sent * 0.75 && fromFlooder.b < sent * 0.75, `${sent} sent, refused ${fromFlooder.a} and ${fromFlooder.b}`)
  // Nothing forged got in anywhere, and no victim forwarded the flood (what it refuses it never relays).
  for (const node of network.nodes) assert.is(node.book.asks().length, 5)
  for (const node of network.nodes) assert.is(node.book.stats().accepted.asks, 5)
})

test.run()
