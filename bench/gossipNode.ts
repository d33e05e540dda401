// One node of `npm run bench:gossip`, in its own OS process, driven over IPC by bench/gossip.ts.
// Mode `bare`: libp2p with gossipsub at its default options, no validation.
// Mode `book`: allot's host (createHost) and order book, with full validation.
import { servePeer } from './peerRpc.ts'
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createHash } from 'node:crypto'
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks'
import { Registry } from 'prom-client'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createLibp2p } from 'libp2p'
import { decodeMessage } from '../protocol/codec/decodeMessage.ts'
import { marketTopics } from '../protocol/topics.ts'
import { createStaticBacking } from '../node/orderbook/backing.ts'
import { createOrderBook, type OrderBook } from '../node/orderbook/orderBook.ts'
import { createHost } from '../node/p2p/createHost.ts'
import { loadPeerKey } from '../node/p2p/identity.ts'
import { openStore, type Store } from '../node/store/openStore.ts'

type Schedule = Array<{ at: number; topic: 'asks' | 'bids'; data: string; id: string }>

const market = { chainId: 31337, market: '0x5fbdb2315678afecb367f032d93f642f64180aa3' as const }
const topics = marketTopics(market)
const stamp = () => performance.timeOrigin + performance.now()
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

let host: Libp2p<{ pubsub: GossipSub }> | undefined
let book: OrderBook | undefined
let store: Store | undefined
let registry: Registry | undefined
let home: string | undefined
let arrivals: Record<string, number> = {}
/** BENCH_GOSSIP_OPTS (JSON) tries other gossipsub options on allot's host. */
const gossipOverrides = JSON.parse(process.env.BENCH_GOSSIP_OPTS ?? '{}')

// Both runs use exactly the links bench/gossip.ts draws: nothing else may connect
// (allot's host would otherwise add DHT connections, and with them mesh peers).
const allowed = new Set<string>()
const connectionGater = {
  denyDialPeer: async (peer: { toString: () => string }) => !allowed.has(peer.toString()),
  denyInboundEncryptedConnection: async (peer: { toString: () => string }) => !allowed.has(peer.toString()),
}

async function start({ mode: runMode, providers }: { mode: 'bare' | 'book'; providers: string[] }) {
  mode = runMode
  arrivals = {}
  home = await mkdtemp(join(tmpdir(), 'allot-bench-node-'))
  if (mode === 'bare') {
    host = await createLibp2p({
      addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
      transports: [tcp()],
      connectionEncrypters: [noise()],
      streamMuxers: [yamux()],
      connectionGater,
      // Not a gossipsub option: loopback peers skip the 5-connections-a-second limit, as in allot's host.
      connectionManager: { allow: ['/ip4/127.0.0.0/ipcidr/8'] },
      services: { identify: identify(), pubsub: gossipsub() },
    })
    await host.start()
    for (const topic of [topics.asks, topics.bids]) host.services.pubsub.subscribe(topic)
    host.services.pubsub.addEventListener('message', (event) => {
      arrivals[createHash('sha256').update(event.detail.data).digest('hex')] ??= stamp()
    })
  } else {
    const full = await createHost({ privateKey: await loadPeerKey(home), listen: ['/ip4/127.0.0.1/tcp/0'], scoredTopics: [topics.asks, topics.bids], connectionGater, gossip: gossipOverrides })
    await full.start()
    host = full
    store = await openStore(home)
    const backing = createStaticBacking(Object.fromEntries(providers.map((provider) => [provider, 10n ** 18n])))
    // With metrics on, as a node serving --metrics runs.
    registry = new Registry()
    book = createOrderBook({ host: full, store, deployment: market, backing, registry }, { autoSync: false, advertise: false })
    book.addEventListener('ask', (event) => void (arrivals[event.detail.hash] ??= stamp()))
    book.addEventListener('bid', (event) => void (arrivals[event.detail.hash] ??= stamp()))
    await book.start()
  }
  return { peerId: host.peerId.toString(), address: host.getMultiaddrs()[0]!.toString() }
}

async function allow(peers: string[]) {
  allowed.clear()
  for (const peer of peers) allowed.add(peer)
}

let dialed: string[] = []
let mode: 'bare' | 'book' = 'bare'

async function dial(addresses: string[]) {
  dialed = addresses
  for (const address of addresses) {
    for (let attempt = 0; ; attempt++) {
      try {
        await host!.dial(multiaddr(address))
        break
      } catch (error) {
        if (attempt >= 5) throw error
        await sleep(300 + Math.random() * 700)
      }
    }
  }
}

async function waitForSubscribers(count: number) {
  const deadline = Date.now() + 180_000
  const pubsub = host!.services.pubsub
  let redial = Date.now() + 5_000
  while (pubsub.getSubscribers(topics.asks).length < count || pubsub.getSubscribers(topics.bids).length < count) {
    if (Date.now() > deadline) throw new Error(`${mode}: only ${pubsub.getSubscribers(topics.asks).length} of ${count} peers subscribed after 180 s`)
    // On a loaded machine a link may drop, or its gossip stream fail to open, while the others are
    // still being made: make it again (gossipsub opens its stream once per connection).
    if (Date.now() > redial) {
      redial = Date.now() + 10_000
      const subscribed = new Set([...pubsub.getSubscribers(topics.asks)].filter((peer) => pubsub.getSubscribers(topics.bids).some((other) => other.equals(peer))).map(String))
      for (const connection of host!.getConnections()) {
        const peer = connection.remotePeer
        if (!allowed.has(peer.toString()) || subscribed.has(peer.toString())) continue
        await connection.close().catch(() => {})
        await host!.dial(peer).catch(() => {})
      }
      const connected = new Set(host!.getConnections().map((connection) => connection.remotePeer.toString()))
      for (const address of dialed) if (!connected.has(address.split('/p2p/')[1] ?? '')) await host!.dial(multiaddr(address)).catch(() => {})
    }
    await sleep(50)
  }
  return { connections: host!.getConnections().length }
}

/** Publishes each order at its time; a failed publish is counted, not fatal (the delivered fraction shows it). */
async function publishAll(schedule: Schedule, published: Record<string, number>): Promise<number> {
  let failed = 0
  await Promise.all(
    schedule.map(async ({ at, topic, data, id }) => {
      // The order is handed to the node as its provider or client would: bytes to bare gossipsub, the
      // signed order to the book (decoded here beforehand, as the bench's fixture, not timed).
      const bytes = new Uint8Array(Buffer.from(data, 'base64'))
      const message = book ? decodeMessage(bytes, { accept: ['ask', 'bid'] }) : undefined
      await sleep(Math.max(0, at - Date.now()))
      published[id] = stamp()
      try {
        if (book && message) {
          if (message.type === 'ask') await book.publishAsk(message.body)
          else if (message.type === 'bid') await book.publishBid(message.body)
        } else await host!.services.pubsub.publish(topics[topic], bytes)
      } catch (error) {
        failed++
        console.error(`publish failed: ${(error as Error).message}`)
      }
    }),
  )
  return failed
}

async function run({ t0, idleMs, schedule, warmup, until }: { t0: number; idleMs: number; schedule: Schedule; warmup: Schedule; until: number }) {
  await publishAll(warmup, {})
  await sleep(Math.max(0, t0 - idleMs - Date.now()))
  const idleStart = process.cpuUsage()
  const idleWall = stamp()
  await sleep(Math.max(0, t0 - Date.now()))
  const idleCpu = process.cpuUsage(idleStart)
  const idleWindow = stamp() - idleWall
  // Where a node's time goes under load: event-loop stalls and garbage-collection pauses.
  const loopDelay = monitorEventLoopDelay({ resolution: 5 })
  const pauses: number[] = []
  const gc = new PerformanceObserver((list) => void pauses.push(...list.getEntries().map((entry) => entry.duration)))
  gc.observe({ entryTypes: ['gc'] })
  loopDelay.enable()
  const loadStart = process.cpuUsage()
  const loadWall = stamp()
  const published: Record<string, number> = {}
  const failedPublishes = await publishAll(schedule, published)
  await sleep(Math.max(0, until - Date.now()))
  const loadCpu = process.cpuUsage(loadStart)
  loopDelay.disable()
  gc.disconnect()
  const validation = (await registry?.getSingleMetric('allot_order_validation_seconds')?.get())?.values ?? []
  const validationSum = validation.find((value) => (value as { metricName?: string }).metricName === 'allot_order_validation_seconds_sum')?.value ?? 0
  const validationCount = validation.find((value) => (value as { metricName?: string }).metricName === 'allot_order_validation_seconds_count')?.value ?? 0
  return {
    published,
    arrivals,
    idleCpuMs: (idleCpu.user + idleCpu.system) / 1000,
    idleWindowMs: idleWindow,
    loadCpuMs: (loadCpu.user + loadCpu.system) / 1000,
    loadWindowMs: stamp() - loadWall,
    rssMiB: process.memoryUsage().rss / 2 ** 20,
    connections: host!.getConnections().length,
    rejected: book?.stats().rejected ?? {},
    failedPublishes,
    loopDelayP99Ms: loopDelay.percentile(99) / 1e6,
    loopDelayMaxMs: loopDelay.max / 1e6,
    gcPauseMs: pauses.reduce((total, pause) => total + pause, 0),
    gcMaxPauseMs: Math.max(0, ...pauses),
    validationMeanMs: validationCount ? (1000 * validationSum) / validationCount : 0,
  }
}

async function stop() {
  await book?.stop()
  await host?.stop()
  await store?.close()
  if (home) await rm(home, { recursive: true, force: true })
  book = undefined
  registry = undefined
  host = undefined
  store = undefined
}

servePeer({ start, allow, dial, waitForSubscribers, run, stop }, stop)
