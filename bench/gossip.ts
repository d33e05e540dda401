// npm run bench:gossip — order propagation across N node processes on loopback.
//
// Runs twice over the same topology, orders and schedule: first bare gossipsub at
// libp2p's default options (the baseline: no validation, libp2p's own message
// signatures), then allot's host and order book with full validation (decode,
// schema, market, expiry, sequence, rate limits, EIP-712 signature, backing from a
// static table). Orders are published at a fixed total rate, each by the next node
// in turn. Reported per run: propagation latency from publish to every other
// node's receipt (p50, p99), the delivered fraction, and CPU ms per order per node
// (CPU during the load, less the node's idle CPU rate measured just before).
// Both runs first publish the same warm-up orders (not measured), and a
// connection gater holds both to the same drawn topology. Each run has its own
// freshly started node processes.
//
// The two modes take turns, bare then book, then book then bare (--rounds 2), and each
// mode's figures pool its rounds: the machine's load drifts over minutes (other
// processes, its host), and a mode that always ran first or second would carry that
// drift into the comparison.
//
// Options: --nodes N (default 20), --orders M (default 300), --rate R orders/s (default 10),
// --rounds K (default 2), --book-only, --latencies FILE (every delivery, for a closer look
// at the tail). Environment:
// BENCH_CPU_PROF=<node index> profiles one node, BENCH_GOSSIP_OPTS='{"D":6}' tries other gossipsub
// options on allot's host, BENCH_NODE_FLAGS='--single-threaded-gc' passes flags to every node.
import { forkPeer, type Peer } from './peerRpc.ts'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { once } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { benchOrders, prng, quantile, type BenchOrder } from './orders.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '20' },
    orders: { type: 'string', default: '300' },
    rate: { type: 'string', default: '10' },
    /** Turns each mode takes, in the order bare, book, book, bare, bare, book… */
    rounds: { type: 'string', default: '2' },
    /** Skip the bare baseline (its figures then read 0), to try order book settings faster. */
    'book-only': { type: 'boolean', default: false },
    /** Writes every delivery (order, publisher, receiver, ms) of both runs to this JSON file, to see where the tail comes from. */
    latencies: { type: 'string' },
  },
})
const size = Number(values.nodes)
const count = Number(values.orders)
const ratePerSec = Number(values.rate)
const rounds = Number(values.rounds)
const IDLE_MS = 3_000
const DRAIN_MS = 3_000

type Node = Peer

function spawnNode(_: unknown, index: number): Node {
  // BENCH_CPU_PROF=<index> writes a V8 CPU profile of that node to bench/.profiles/.
  const profile = process.env.BENCH_CPU_PROF === String(index) ? ['--cpu-prof', '--cpu-prof-dir', join(root, 'bench/.profiles')] : []
  // BENCH_NODE_SCRIPT runs a prebuilt (bundled) node script instead, without tsx.
  const script = process.env.BENCH_NODE_SCRIPT ?? join(root, 'bench/gossipNode.ts')
  return forkPeer(script, { execArgv: [...profile, ...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean)], name: 'a node' })
}

/** Each node links to its ring neighbour and to two seeded random others: about six links each, the same in both runs. */
function topology(n: number): Array<[number, number]> {
  const random = prng(42)
  const links = new Set<string>()
  const add = (a: number, b: number) => a !== b && links.add(a < b ? `${a}-${b}` : `${b}-${a}`)
  for (let i = 0; i < n; i++) {
    add(i, (i + 1) % n)
    for (let k = 0; k < 2; k++) add(i, Math.floor(random() * n))
  }
  return [...links].map((link) => link.split('-').map(Number) as [number, number])
}

/** Fewest links between every pair of nodes (breadth-first from each). */
function hopCounts(links: Array<[number, number]>, n: number): number[][] {
  const neighbours = Array.from({ length: n }, () => [] as number[])
  for (const [a, b] of links) neighbours[a]!.push(b), neighbours[b]!.push(a)
  return neighbours.map((_, from) => {
    const hops = Array<number>(n).fill(-1)
    hops[from] = 0
    for (const queue = [from]; queue.length > 0; ) {
      const node = queue.shift()!
      for (const next of neighbours[node]!) if (hops[next]! < 0) (hops[next] = hops[node]! + 1), queue.push(next)
    }
    return hops
  })
}

type RunResult = Awaited<ReturnType<typeof runOnce>>
/** A mode's figures: its runs' per-node figures, and the latencies of all their deliveries. */
type Figures = RunResult & { p50Ms: number; p99Ms: number; directP50Ms: number; directP99Ms: number; maxMs: number }

async function runOnce(nodes: Node[], mode: 'bare' | 'book', orders: BenchOrder[], warmup: BenchOrder[], providers: string[]) {
  const started = await Promise.all(nodes.map((node) => node.call<{ peerId: string; address: string }>('start', { mode, providers })))
  const links = topology(nodes.length)
  await Promise.all(
    nodes.map((node, index) =>
      node.call('allow', links.flatMap(([a, b]) => (a === index ? [started[b]!.peerId] : b === index ? [started[a]!.peerId] : []))),
    ),
  )
  // One node at a time: a burst of inbound connections is what libp2p's connection manager refuses.
  for (const [index, node] of nodes.entries()) await node.call('dial', links.filter(([a]) => a === index).map(([, b]) => started[b]!.address))
  const degree = nodes.map((_, index) => links.filter(([a, b]) => a === index || b === index).length)
  await Promise.all(nodes.map((node, index) => node.call('waitForSubscribers', degree[index])))
  // Let meshes form (a few heartbeats) before the load starts.
  await new Promise((resolve) => setTimeout(resolve, 3_000))

  // Warm-up orders (other makers) first, so that neither run pays for compiling its code paths in the figures.
  const interval = 1000 / ratePerSec
  const warmupStart = Date.now() + 500
  const warmups = nodes.map(() => [] as Array<{ at: number; topic: string; data: string; id: string }>)
  warmup.forEach((order, index) =>
    warmups[index % nodes.length]!.push({
      at: Math.round(warmupStart + index * interval),
      topic: order.type === 'ask' ? 'asks' : 'bids',
      data: Buffer.from(order.bytes).toString('base64'),
      id: order.sha,
    }),
  )
  const t0 = warmupStart + warmup.length * interval + 1_000 + IDLE_MS
  const until = t0 + orders.length * interval + DRAIN_MS
  const id = (order: BenchOrder) => (mode === 'bare' ? order.sha : order.hash)
  const schedules = nodes.map(() => [] as Array<{ at: number; topic: string; data: string; id: string }>)
  const publisherOf = new Map<string, number>()
  orders.forEach((order, index) => {
    const publisher = index % nodes.length
    publisherOf.set(id(order), publisher)
    schedules[publisher]!.push({
      at: Math.round(t0 + index * interval),
      topic: order.type === 'ask' ? 'asks' : 'bids',
      data: Buffer.from(order.bytes).toString('base64'),
      id: id(order),
    })
  })
  const results = await Promise.all(
    nodes.map((node, index) => node.call('run', { t0, idleMs: IDLE_MS, schedule: schedules[index], warmup: warmups[index], until })),
  )
  await Promise.all(nodes.map((node) => node.call('stop')))

  const published: Record<string, number> = Object.assign({}, ...results.map((result) => result.published))
  const deliveries: Array<{ order: number; publisher: number; receiver: number; ms: number }> = []
  let delivered = 0
  orders.forEach((order, orderIndex) => {
    const key = id(order)
    results.forEach((result, index) => {
      if (index === publisherOf.get(key)) return
      const arrived = result.arrivals[key]
      if (arrived === undefined) return
      delivered++
      deliveries.push({ order: orderIndex, publisher: publisherOf.get(key)!, receiver: index, ms: arrived - published[key]! })
    })
  })
  const cpuPerOrder = results.map((result) => {
    const idleRate = result.idleCpuMs / result.idleWindowMs
    return Math.max(0, result.loadCpuMs - idleRate * result.loadWindowMs) / orders.length
  })
  const rawCpuPerOrder = results.map((result) => result.loadCpuMs / orders.length)
  const failedPublishes = results.reduce((total, result) => total + result.failedPublishes, 0)
  const rejected: Record<string, number> = {}
  for (const result of results) for (const [reason, n] of Object.entries(result.rejected as Record<string, number>)) rejected[reason] = (rejected[reason] ?? 0) + n
  return {
    delivered: delivered / (orders.length * (nodes.length - 1)),
    cpuMsPerOrder: cpuPerOrder.reduce((a, b) => a + b, 0) / cpuPerOrder.length,
    rawCpuMsPerOrder: rawCpuPerOrder.reduce((a, b) => a + b, 0) / rawCpuPerOrder.length,
    idleCpuPct: (100 * results.reduce((total, result) => total + result.idleCpuMs / result.idleWindowMs, 0)) / results.length,
    rssMiB: results.reduce((total, result) => total + result.rssMiB, 0) / results.length,
    connections: results.reduce((total, result) => total + result.connections, 0) / results.length,
    failedPublishes,
    rejected,
    loopDelayP99Ms: mean(results.map((result) => result.loopDelayP99Ms)),
    loopDelayMaxMs: Math.max(...results.map((result) => result.loopDelayMaxMs)),
    gcPauseMs: mean(results.map((result) => result.gcPauseMs)),
    gcMaxPauseMs: Math.max(...results.map((result) => result.gcMaxPauseMs)),
    validationMeanMs: mean(results.map((result) => result.validationMeanMs)),
    deliveries,
  }
}

const mean = (values: number[]) => values.reduce((total, value) => total + value, 0) / values.length

const emptyFigures = (): Figures => ({
  p50Ms: 0,
  p99Ms: 0,
  directP50Ms: 0,
  directP99Ms: 0,
  maxMs: 0,
  delivered: 0,
  cpuMsPerOrder: 0,
  rawCpuMsPerOrder: 0,
  idleCpuPct: 0,
  rssMiB: 0,
  connections: 0,
  failedPublishes: 0,
  rejected: {},
  loopDelayP99Ms: 0,
  loopDelayMaxMs: 0,
  gcPauseMs: 0,
  gcMaxPauseMs: 0,
  validationMeanMs: 0,
  deliveries: [],
})

// The same makers and orders in every run, signed afresh for each: a bid may expire five minutes after it is made.
const fixtures = () => {
  const { orders, providers } = benchOrders(count, { seed: 3 })
  const { orders: warmup, providers: warmupProviders } = benchOrders(Math.max(40, 2 * size), { seed: 4, makerOffset: 50_000 })
  return { orders, warmup, backed: [...providers, ...warmupProviders].map((maker) => maker.address) }
}
const meanBytes = mean(fixtures().orders.map((order) => order.bytes.length))
// Each mode runs in fresh processes: run in the processes the other mode just used, the second
// run's garbage collector also pays for the first run's heap, and its tail latency shows it.
async function inFreshNodes(mode: 'bare' | 'book'): Promise<RunResult> {
  const nodes = Array.from({ length: size }, spawnNode)
  const { orders, warmup, backed } = fixtures()
  try {
    return await runOnce(nodes, mode, orders, warmup, backed)
  } finally {
    const exited = nodes.map((node) => (node.child.exitCode === null ? once(node.child, 'exit') : undefined))
    for (const node of nodes) node.child.disconnect()
    await Promise.all(exited)
  }
}
/**
 * One mode's rounds as one run: latencies over every delivery (and those between direct neighbours, whose
 * tail is a node stalling, not the path's length), per-node figures averaged, worst cases the worst.
 */
function pooled(runs: RunResult[]): Figures {
  if (runs.length === 0) return emptyFigures()
  const deliveries = runs.flatMap((run) => run.deliveries)
  const latencies = deliveries.map(({ ms }) => ms)
  const hops = hopCounts(topology(size), size)
  const direct = deliveries.filter(({ publisher, receiver }) => hops[publisher]![receiver] === 1).map(({ ms }) => ms)
  const average = (pick: (run: RunResult) => number) => mean(runs.map(pick))
  const rejected: Record<string, number> = {}
  for (const run of runs) for (const [reason, n] of Object.entries(run.rejected)) rejected[reason] = (rejected[reason] ?? 0) + n
  return {
    p50Ms: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    directP50Ms: quantile(direct, 0.5),
    directP99Ms: quantile(direct, 0.99),
    maxMs: Math.max(...latencies),
    delivered: average((run) => run.delivered),
    cpuMsPerOrder: average((run) => run.cpuMsPerOrder),
    rawCpuMsPerOrder: average((run) => run.rawCpuMsPerOrder),
    idleCpuPct: average((run) => run.idleCpuPct),
    rssMiB: average((run) => run.rssMiB),
    connections: average((run) => run.connections),
    failedPublishes: runs.reduce((total, run) => total + run.failedPublishes, 0),
    rejected,
    loopDelayP99Ms: average((run) => run.loopDelayP99Ms),
    loopDelayMaxMs: Math.max(...runs.map((run) => run.loopDelayMaxMs)),
    gcPauseMs: average((run) => run.gcPauseMs),
    gcMaxPauseMs: Math.max(...runs.map((run) => run.gcMaxPauseMs)),
    validationMeanMs: average((run) => run.validationMeanMs),
    deliveries,
  }
}

const runs: Record<'bare' | 'book', RunResult[]> = { bare: [], book: [] }
for (let round = 0; round < rounds; round++) {
  const turn: Array<'bare' | 'book'> = round % 2 === 0 ? ['bare', 'book'] : ['book', 'bare']
  for (const mode of turn) if (mode === 'book' || !values['book-only']) runs[mode].push(await inFreshNodes(mode))
}
const bare = pooled(runs.bare)
const book = pooled(runs.book)

if (values.latencies) await writeFile(values.latencies, JSON.stringify({ links: topology(size), bare: bare.deliveries, book: book.deliveries }))

const format = (value: number, digits = 1) => value.toFixed(digits)
const rows: Array<[string, string, string]> = [
  ['p50 latency, ms', format(bare.p50Ms), format(book.p50Ms)],
  ['p99 latency, ms', format(bare.p99Ms), format(book.p99Ms)],
  ['p50 latency between neighbours, ms', format(bare.directP50Ms), format(book.directP50Ms)],
  ['p99 latency between neighbours, ms', format(bare.directP99Ms), format(book.directP99Ms)],
  ['max latency, ms', format(bare.maxMs), format(book.maxMs)],
  ['delivered', format(bare.delivered, 4), format(book.delivered, 4)],
  ['CPU ms per order per node (less idle)', format(bare.cpuMsPerOrder, 3), format(book.cpuMsPerOrder, 3)],
  ['CPU ms per order per node (raw)', format(bare.rawCpuMsPerOrder, 3), format(book.rawCpuMsPerOrder, 3)],
  ['idle CPU per node, %', format(bare.idleCpuPct, 2), format(book.idleCpuPct, 2)],
  ['RSS per node, MiB', format(bare.rssMiB, 0), format(book.rssMiB, 0)],
  ['connections per node', format(bare.connections), format(book.connections)],
  ['failed publishes', String(bare.failedPublishes), String(book.failedPublishes)],
  ['event-loop delay p99 per node, ms (mean)', format(bare.loopDelayP99Ms), format(book.loopDelayP99Ms)],
  ['event-loop delay, worst node, ms', format(bare.loopDelayMaxMs), format(book.loopDelayMaxMs)],
  ['GC pauses during the load per node, ms', format(bare.gcPauseMs), format(book.gcPauseMs)],
  ['longest GC pause, ms', format(bare.gcMaxPauseMs), format(book.gcMaxPauseMs)],
  ['order book validation, mean ms per message', '-', format(book.validationMeanMs, 3)],
]
console.log(`Gossip propagation: ${size} node processes, ${count} orders (mean ${meanBytes.toFixed(0)} bytes) at ${ratePerSec}/s, ${rounds} rounds of each mode`)
console.log(`  ${''.padEnd(40)}  ${'bare gossipsub'.padStart(14)}  ${'order book'.padStart(12)}`)
for (const [label, a, b] of rows) console.log(`  ${label.padEnd(40)}  ${a.padStart(14)}  ${b.padStart(12)}`)
if (Object.keys(book.rejected).length) console.log(`  order book refusals: ${JSON.stringify(book.rejected)}`)
console.log(
  JSON.stringify({
    nodes: size,
    orders: count,
    ratePerSec,
    rounds,
    p50Ms: Number(format(book.p50Ms, 2)),
    p99Ms: Number(format(book.p99Ms, 2)),
    delivered: Number(format(book.delivered, 4)),
    cpuMsPerOrder: Number(format(book.cpuMsPerOrder, 3)),
    bareP50Ms: Number(format(bare.p50Ms, 2)),
    bareP99Ms: Number(format(bare.p99Ms, 2)),
    bareCpuMsPerOrder: Number(format(bare.cpuMsPerOrder, 3)),
    directP99Ms: Number(format(book.directP99Ms, 2)),
    bareDirectP99Ms: Number(format(bare.directP99Ms, 2)),
  }),
)
