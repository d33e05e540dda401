import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Address } from 'viem'
import {
  type Ask,
  assignGpus,
  dealCollateral,
  evaluateAsk,
  matchBid,
  type MatchBidReturnType,
  matchCriteria,
  MatchCriterion,
  quote,
  WAD,
} from '../../protocol/index.ts'
import { A100, entry, H100, makeAsk, makeBid, NOW, prng, shuffle } from './fixtures.ts'

const test = suite('matching')
const always = () => true
const params = { now: NOW, canBack: always }
const zeros = () => Object.fromEntries(matchCriteria.map((c) => [c, 0]))
const only = (criterion: MatchCriterion, count = 1) => ({ ...zeros(), [criterion]: count })
const providerN = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address

function expectNoMatch(result: MatchBidReturnType, rejected: Record<string, number>) {
  assert.is(result.match, undefined)
  assert.equal(result.candidates, [])
  assert.equal(result.rejected, rejected)
}

test('an empty book matches nothing and says so', () => {
  const result = matchBid(makeBid(), [], params)
  expectNoMatch(result, zeros())
  assert.is(result.considered, 0)
  assert.is(result.cheapestPrice, undefined)
})

test('a fitting ask matches, with the quoted price and the collateral it offers', () => {
  const ask = makeAsk()
  const bid = makeBid()
  const result = matchBid(bid, [entry(ask)], params)
  assert.ok(result.match)
  assert.is(result.match!.price, quote(ask, bid))
  assert.is(result.match!.collateral, dealCollateral(result.match!.price, ask.collateralBps))
  assert.is(result.match!.hash, entry(ask).hash)
  assert.is(result.match!.utilization, 0n)
  assert.equal(result.rejected, zeros())
  assert.is(result.considered, 1)
  assert.is(result.cheapestPrice, result.match!.price)
})

test('expired: an ask is live while now < expiry', () => {
  const ask = makeAsk({ expiry: NOW + 1 })
  assert.ok(matchBid(makeBid(), [entry(ask)], params).match)
  expectNoMatch(matchBid(makeBid(), [entry(ask)], { ...params, now: NOW + 1 }), only('expired'))
  expectNoMatch(matchBid(makeBid(), [entry(ask)], { ...params, now: NOW + 99 }), only('expired'))
})

test('unbacked: canBack sees the provider and the collateral of this deal', () => {
  const ask = makeAsk()
  const bid = makeBid()
  const calls: [Address, bigint][] = []
  const result = matchBid(bid, [entry(ask)], {
    now: NOW,
    canBack: (provider, collateral) => {
      calls.push([provider, collateral])
      return false
    },
  })
  expectNoMatch(result, only('unbacked'))
  assert.equal(calls, [[ask.provider, dealCollateral(quote(ask, bid), ask.collateralBps)]])
  const collateral = calls[0]![1]
  assert.ok(matchBid(bid, [entry(ask)], { now: NOW, canBack: (_, c) => c <= collateral }).match)
  expectNoMatch(matchBid(bid, [entry(ask)], { now: NOW, canBack: (_, c) => c < collateral }), only('unbacked'))
})

test('capacity: CPU, memory and disk each, with equality enough', () => {
  const free = makeAsk().free
  for (const field of ['cpuMillicores', 'memoryMiB', 'diskMiB'] as const) {
    const ask = makeAsk({ free: { ...free, [field]: 1000 } })
    assert.ok(matchBid(makeBid({ requirements: { [field]: 1000 } }), [entry(ask)], params).match, field)
    expectNoMatch(matchBid(makeBid({ requirements: { [field]: 1001 } }), [entry(ask)], params), only('capacity'))
  }
})

test('gpu: model, VRAM and count must all fit', () => {
  const ask = makeAsk()
  const gpuBid = (model: string, vramMiB: number, count: number) =>
    makeBid({ requirements: { gpus: [{ model, vramMiB, count }] } })
  assert.ok(matchBid(gpuBid(H100, 81_559, 4), [entry(ask)], params).match)
  assert.ok(matchBid(gpuBid('', 81_559, 1), [entry(ask)], params).match)
  const misses = [gpuBid('amd-mi300x', 0, 1), gpuBid(H100, 81_560, 1), gpuBid(H100, 0, 5), gpuBid('', 90_000, 1), gpuBid('', 0, 5)]
  for (const bid of misses) {
    const result = matchBid(bid, [entry(ask)], params)
    expectNoMatch(result, only('gpu'))
    assert.is(result.cheapestPrice, undefined)
  }
  const noGpus = makeAsk({
    capacity: { ...ask.capacity, gpus: [] },
    free: { ...ask.free, gpus: [] },
    prices: { ...ask.prices, gpus: [] },
  })
  expectNoMatch(matchBid(gpuBid('', 0, 1), [entry(noGpus)], params), only('gpu'))
  assert.ok(matchBid(makeBid(), [entry(noGpus)], params).match)
})

test('gpu: only free GPUs count', () => {
  const ask = makeAsk({ free: { ...makeAsk().free, gpus: [{ model: H100, vramMiB: 81_559, count: 1 }] } })
  assert.ok(matchBid(makeBid({ requirements: { gpus: [{ model: H100, vramMiB: 0, count: 1 }] } }), [entry(ask)], params).match)
  expectNoMatch(
    matchBid(makeBid({ requirements: { gpus: [{ model: A100, vramMiB: 0, count: 1 }] } }), [entry(ask)], params),
    only('gpu'),
  )
})

test('gpu assignment: requirements in order, each from one model, cheapest first, counts used up', () => {
  const ask = makeAsk()
  assert.equal(
    assignGpus(
      [
        { model: '', vramMiB: 0, count: 3 },
        { model: '', vramMiB: 0, count: 2 },
      ],
      ask,
    )?.map((g) => [g.model, g.count]),
    [
      [A100, 3],
      [H100, 2],
    ],
  )
  // Greedy: the first takes 3 A100s, so the second cannot have 2 A100s.
  assert.is(
    assignGpus(
      [
        { model: '', vramMiB: 0, count: 3 },
        { model: A100, vramMiB: 0, count: 2 },
      ],
      ask,
    ),
    undefined,
  )
  assert.equal(assignGpus([], ask), [])
  // Equal prices: the first model by name.
  const tied = makeAsk({ prices: { ...ask.prices, gpus: [{ model: H100, price: 1n }, { model: A100, price: 1n }] } })
  assert.is(assignGpus([{ model: '', vramMiB: 0, count: 1 }], tied)?.[0]?.model, A100)
})

test('gpu pricing follows the assignment', () => {
  const ask = makeAsk()
  const both = makeBid({
    requirements: {
      cpuMillicores: 0,
      memoryMiB: 0,
      gpus: [
        { model: H100, vramMiB: 0, count: 1 },
        { model: '', vramMiB: 0, count: 2 },
      ],
    },
    duration: 86_400,
  })
  // (1 × 555_555_556 + 2 × 300_000_000) × 86_400 / 1e6 = 99_840_000.0384
  assert.is(matchBid(both, [entry(ask)], params).match!.price, 99_840_001n)
})

test('runtime: the ask must accept the bid’s runtime', () => {
  const ask = makeAsk({ runtimes: ['wasm'] })
  assert.ok(matchBid(makeBid({ requirements: { runtime: 'wasm' } }), [entry(ask)], params).match)
  expectNoMatch(matchBid(makeBid({ requirements: { runtime: 'docker' } }), [entry(ask)], params), only('runtime'))
  expectNoMatch(matchBid(makeBid({ requirements: { runtime: 'process' } }), [entry(ask)], params), only('runtime'))
})

test('duration: inside [minDuration, maxDuration], bounds included', () => {
  const ask = makeAsk({ minDuration: 100, maxDuration: 200 })
  for (const duration of [100, 150, 200]) assert.ok(matchBid(makeBid({ duration }), [entry(ask)], params).match)
  for (const duration of [99, 201]) expectNoMatch(matchBid(makeBid({ duration }), [entry(ask)], params), only('duration'))
})

test('price: within the bid’s maximum, equality enough; above it, cheapestPrice says what it would take', () => {
  const ask = makeAsk()
  const price = quote(ask, makeBid())
  assert.ok(matchBid(makeBid({ maxPrice: price }), [entry(ask)], params).match)
  const result = matchBid(makeBid({ maxPrice: price - 1n }), [entry(ask)], params)
  expectNoMatch(result, only('price'))
  assert.is(result.cheapestPrice, price)
})

test('price above uint128 fails on price only, and is no cheapest price', () => {
  const ask = makeAsk({ prices: { ...makeAsk().prices, cpu: 2n ** 128n - 1n } })
  const bid = makeBid({ maxPrice: 2n ** 128n - 1n, duration: 86_400, requirements: { cpuMillicores: 16_000 } })
  const result = matchBid(bid, [entry(ask)], { now: NOW, canBack: () => assert.unreachable('not asked') as never })
  expectNoMatch(result, only('price'))
  assert.is(result.cheapestPrice, undefined)
})

test('an ask failing several criteria counts in each', () => {
  const ask = makeAsk({ expiry: NOW, runtimes: ['docker'], minDuration: 1000, free: { ...makeAsk().free, diskMiB: 0 } })
  const result = matchBid(makeBid({ maxPrice: 1n }), [entry(ask)], { now: NOW, canBack: () => false })
  expectNoMatch(result, { expired: 1, unbacked: 1, capacity: 1, gpu: 0, runtime: 1, duration: 1, price: 1 })
  assert.equal(evaluateAsk(makeBid({ maxPrice: 1n }), ask, { now: NOW, canBack: () => false }).failures, [
    'expired',
    'unbacked',
    'capacity',
    'runtime',
    'duration',
    'price',
  ])
})

test('a GPU failure leaves price and backing unevaluated', () => {
  const bid = makeBid({ maxPrice: 0n, requirements: { gpus: [{ model: 'amd-mi300x', vramMiB: 0, count: 1 }] } })
  const result = matchBid(bid, [entry(makeAsk())], { now: NOW, canBack: () => false })
  expectNoMatch(result, only('gpu'))
})

test('a book of mixed asks: exact counts, candidates best first, cheapest price', () => {
  const bid = makeBid({ maxPrice: 50_000n })
  const cheap = makeAsk({ provider: providerN(1), prices: { ...makeAsk().prices, cpu: 1_000_000n } })
  const fair = makeAsk({ provider: providerN(2), prices: { ...makeAsk().prices, cpu: 2_000_000n } })
  const book = [
    cheap,
    fair,
    makeAsk({ provider: providerN(3), expiry: NOW - 1, createdAt: NOW - 10 }),
    makeAsk({ provider: providerN(4), runtimes: ['docker'] }),
    makeAsk({ provider: providerN(5), runtimes: ['docker'], maxDuration: 60 }),
    makeAsk({ provider: providerN(6), free: { ...makeAsk().free, memoryMiB: 1 } }),
    makeAsk({ provider: providerN(7) }), // unbacked
    makeAsk({ provider: providerN(8), prices: { ...makeAsk().prices, cpu: 900_000_000n } }), // too dear
    makeAsk({ provider: providerN(9), prices: { ...makeAsk().prices, cpu: 500_000_000n } }), // too dear, less so
    makeAsk({ provider: providerN(10), prices: { ...makeAsk().prices, cpu: 1n }, runtimes: ['process'] }), // cheap but wrong runtime
  ]
  const result = matchBid(bid, book.map(entry), { now: NOW, canBack: (p) => p !== providerN(7) })
  assert.equal(result.rejected, { expired: 1, unbacked: 1, capacity: 1, gpu: 0, runtime: 3, duration: 1, price: 2 })
  assert.is(result.considered, 10)
  assert.equal(
    result.candidates.map((c) => c.ask.provider),
    [providerN(1), providerN(2)],
  )
  assert.is(result.match, result.candidates[0])
  assert.is(result.cheapestPrice, result.match!.price)

  const priced = matchBid({ ...bid, maxPrice: 1n }, book.map(entry), { now: NOW, canBack: (p) => p !== providerN(7) })
  assert.is(priced.match, undefined)
  // Cheapest among asks failing on price alone: provider 1 (provider 10 also fails on runtime).
  assert.is(priced.cheapestPrice, quote(cheap, bid))
  // Price is checked on every ask that can be quoted, whatever else it fails.
  assert.is(priced.rejected.price, 10)
})

test('ties: equal prices go to the earliest createdAt, then the lowest ask hash', () => {
  const bid = makeBid()
  const late = makeAsk({ provider: providerN(1), createdAt: NOW - 10 })
  const early = makeAsk({ provider: providerN(2), createdAt: NOW - 20 })
  const sameA = makeAsk({ provider: providerN(3), createdAt: NOW - 30 })
  const sameB = makeAsk({ provider: providerN(4), createdAt: NOW - 30 })
  const cheaper = makeAsk({ provider: providerN(5), createdAt: NOW, prices: { ...makeAsk().prices, memory: 1n } })
  const entries = [late, early, sameA, sameB, cheaper].map(entry)
  const [lowHash, highHash] = [entry(sameA), entry(sameB)].sort((a, b) => (a.hash < b.hash ? -1 : 1))
  const result = matchBid(bid, entries, params)
  assert.equal(
    result.candidates.map((c) => c.hash),
    [entry(cheaper).hash, lowHash!.hash, highHash!.hash, entry(early).hash, entry(late).hash],
  )
})

test('utilization raises an ask’s price and can change the winner', () => {
  const bid = makeBid()
  const idle = makeAsk({ provider: providerN(1), prices: { ...makeAsk().prices, cpu: 6_000_000n } })
  const busy = makeAsk({ provider: providerN(2), free: { ...makeAsk().free, cpuMillicores: 2000 } })
  const result = matchBid(bid, [idle, busy].map(entry), params)
  assert.is(result.match!.ask.provider, providerN(1))
  assert.is(result.candidates[1]!.utilization, (WAD * 7n) / 8n)
  const flat = { kink: WAD, slope1: 0n, slope2: 0n }
  assert.is(matchBid(bid, [idle, busy].map(entry), { ...params, pricing: flat }).match!.ask.provider, providerN(2))
})

test('the same ask twice (by hash) is considered once', () => {
  const ask = makeAsk()
  const result = matchBid(makeBid(), [entry(ask), entry(ask), { ask, hash: entry(ask).hash.toUpperCase().replace('0X', '0x') as `0x${string}` }], params)
  assert.is(result.candidates.length, 1)
  assert.is(result.considered, 1)
})

test('deterministic: any order of the book gives the same candidates, counts and cheapest price', () => {
  const random = prng(42)
  const runtimes = [['wasm'], ['docker'], ['wasm', 'process']] as Ask['runtimes'][]
  const book = Array.from({ length: 60 }, (_, i) =>
    entry(
      makeAsk({
        provider: providerN(i + 1),
        createdAt: NOW - 100 + Math.floor(random() * 2),
        expiry: NOW + Math.floor(random() * 10) - 2,
        runtimes: runtimes[Math.floor(random() * 3)]!,
        prices: { ...makeAsk().prices, cpu: BigInt(1 + Math.floor(random() * 2)) * 1_000_000n },
        // Few distinct utilizations and prices, so many asks tie on price and on createdAt.
        free: { ...makeAsk().free, cpuMillicores: [1000, 4000, 8000, 16_000][Math.floor(random() * 4)]! },
      }),
    ),
  )
  const bid = makeBid({ maxPrice: 9_000n })
  const canBack = (p: Address) => Number.parseInt(p.slice(-2), 16) % 7 !== 0
  const reference = matchBid(bid, book, { now: NOW, canBack })
  assert.ok(reference.candidates.length > 3, 'the book should have several candidates')
  for (const criterion of ['expired', 'unbacked', 'capacity', 'runtime', 'price'] as const)
    assert.ok(reference.rejected[criterion] > 0, `the book should fail some asks on ${criterion}`)
  const summary = (r: MatchBidReturnType) => ({
    order: r.candidates.map((c) => c.hash),
    rejected: r.rejected,
    cheapestPrice: r.cheapestPrice,
  })
  for (let i = 0; i < 50; i++) {
    assert.equal(summary(matchBid(bid, shuffle(book, random), { now: NOW, canBack })), summary(reference))
  }
  const ties = reference.candidates.filter((c, i, all) => i > 0 && all[i - 1]!.price === c.price && all[i - 1]!.ask.createdAt === c.ask.createdAt)
  assert.ok(ties.length > 0, 'some candidates should be ordered by hash alone')
  for (let i = 1; i < reference.candidates.length; i++) {
    const [a, b] = [reference.candidates[i - 1]!, reference.candidates[i]!]
    assert.ok(a.price < b.price || (a.price === b.price && (a.ask.createdAt < b.ask.createdAt || (a.ask.createdAt === b.ask.createdAt && a.hash < b.hash))))
  }
})

test('evaluateAsk takes a live utilization, as a provider checking a proposal does', () => {
  const ask = makeAsk()
  const bid = makeBid()
  assert.is(evaluateAsk(bid, ask, { ...params, utilization: WAD }).price, quote(ask, bid, WAD))
})

test.run()
