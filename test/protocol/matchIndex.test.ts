import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Address, Hex } from 'viem'
import {
  type Ask,
  type AskEntry,
  type Bid,
  type CanBack,
  createMatchIndex,
  type Gpu,
  MAX_UINT128,
  matchBid,
  type MatchIndex,
  type MatchIndexReturnType,
  type PricingCurve,
  quote,
  type Runtime,
  WAD,
} from '../../protocol/index.ts'
import { A100, entry, H100, makeAsk, makeBid, NOW, prng } from './fixtures.ts'

const test = suite('matchIndex')
const L4 = 'nvidia-l4'
const models = [H100, A100, L4]
const runtimeSets: Runtime[][] = [['wasm'], ['docker'], ['process'], ['wasm', 'process'], ['docker', 'process'], ['wasm', 'process', 'docker']]
const flat: PricingCurve = { kink: WAD, slope1: 0n, slope2: 0n }
const steep: PricingCurve = { kink: 5n * 10n ** 17n, slope1: 10n ** 17n, slope2: 40n * WAD }

type Random = () => number
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!
const int = (random: Random, low: number, high: number) => low + Math.floor(random() * (high - low + 1))
const hex = (random: Random, bytes: number) =>
  `0x${Array.from({ length: bytes }, () => int(random, 0, 255).toString(16).padStart(2, '0')).join('')}`
const providerN = (n: number) => `0x${n.toString(16).padStart(40, '0')}` as Address

/** An ask drawn from few values per field, so that prices, createdAt and utilizations tie often. */
function randomAsk(random: Random, provider: number): Ask {
  const cpu = pick(random, [4000, 8000, 16_000])
  const memory = pick(random, [8192, 32_768])
  const gpus: Gpu[] = []
  if (random() < 0.35)
    for (const model of models) if (random() < 0.5) gpus.push({ model, vramMiB: model === H100 ? 81_559 : model === A100 ? 40_960 : 23_034, count: int(random, 1, 4) })
  const free = (value: number) => pick(random, [value, value, value / 2, value / 4, 0])
  return makeAsk({
    provider: providerN(provider),
    capacity: { cpuMillicores: cpu, memoryMiB: memory, diskMiB: 100_000, gpus },
    free: {
      cpuMillicores: free(cpu),
      memoryMiB: free(memory),
      diskMiB: pick(random, [100_000, 10_000, 1000]),
      gpus: gpus.map((gpu) => ({ ...gpu, count: int(random, 0, gpu.count) })),
    },
    runtimes: pick(random, runtimeSets),
    prices: {
      cpu: pick(random, [1_000_000n, 2_000_000n, 2_000_000n, 5_555_556n, 0n]),
      memory: pick(random, [100_000n, 833_333n, 833_333n]),
      gpus: gpus.map((gpu) => ({ model: gpu.model, price: pick(random, [90_000_000n, 300_000_000n, 300_000_000n, 555_555_556n]) })),
    },
    minDuration: pick(random, [1, 60, 600]),
    maxDuration: pick(random, [3600, 86_400]),
    collateralBps: pick(random, [10_000, 15_000, 30_000]),
    createdAt: NOW - int(random, 0, 2),
    expiry: NOW + int(random, -2, 1800),
  })
}

function randomBid(random: Random, book: readonly AskEntry[]): Bid {
  const gpus: Gpu[] = []
  if (random() < 0.4)
    for (let count = int(random, 1, 2); count > 0; count--)
      gpus.push({ model: pick(random, ['', '', H100, A100, L4, 'amd-mi300x']), vramMiB: pick(random, [0, 24_000, 40_960]), count: int(random, 1, 3) })
  const bid = makeBid({
    requirements: {
      cpuMillicores: pick(random, [500, 2000, 4000, 8000, 20_000]),
      memoryMiB: pick(random, [512, 4096, 16_384]),
      diskMiB: pick(random, [1024, 5000]),
      gpus,
      runtime: pick(random, ['wasm', 'wasm', 'docker', 'process'] as const),
    },
    duration: pick(random, [1, 60, 600, 3600, 7200]),
  })
  // Maxima that cut through the book, often exactly at an ask's price or one below it.
  const ask = pick(random, book).ask
  const at = (() => {
    try {
      return quote(ask, bid)
    } catch {
      return 10n ** 9n
    }
  })()
  const maxPrice = pick(random, [at, at, at - 1n, at + 1n, at / 2n, at * 3n, 0n, 10n ** 15n, MAX_UINT128, MAX_UINT128 + 5n])
  return { ...bid, maxPrice: maxPrice < 0n ? 0n : maxPrice }
}

function randomBook(random: Random, size: number, offset = 0): AskEntry[] {
  return Array.from({ length: size }, (_, index) => ({ ask: randomAsk(random, offset + index + 1), hash: hex(random, 32) as Hex }))
}

const refusing: CanBack = (provider, collateral) => Number.parseInt(provider.slice(-2), 16) % 5 !== 0 && collateral < 10n ** 12n

/** Asserts the index answers as `matchBid` does on `book`, for the head of `limit` candidates. */
function assertSame(index: MatchIndex, book: readonly AskEntry[], bid: Bid, options: { canBack?: CanBack; pricing?: PricingCurve; limit?: number }, label: string) {
  const { canBack, pricing, limit = 16 } = options
  const expected = matchBid(bid, book, { now: NOW, canBack: canBack ?? (() => true), pricing })
  const actual: MatchIndexReturnType = index.match(bid, { now: NOW, canBack, pricing, limit })
  assert.equal(actual.candidates, expected.candidates.slice(0, limit), `${label}: candidates`)
  assert.equal(actual.match, expected.match, `${label}: match`)
  assert.is(actual.considered, expected.considered, `${label}: considered`)
  assert.equal(actual.rejected, expected.rejected, `${label}: rejected`)
  assert.is(actual.cheapestPrice, expected.cheapestPrice, `${label}: cheapestPrice`)
}

test('randomized books and bids: the same answer as matchBid', () => {
  const random = prng(1)
  let matches = 0
  for (let round = 0; round < 8; round++) {
    const book = randomBook(random, 150)
    const index = createMatchIndex(book)
    for (let trial = 0; trial < 40; trial++) {
      const bid = randomBid(random, book)
      const limit = pick(random, [1, 3, 16, Infinity])
      assertSame(index, book, bid, { limit }, `round ${round} trial ${trial}`)
      matches += matchBid(bid, book, { now: NOW, canBack: () => true }).candidates.length > 0 ? 1 : 0
    }
  }
  assert.ok(matches > 50, `enough bids should match (${matches})`)
})

test('a canBack that refuses some providers and large collateral', () => {
  const random = prng(2)
  const book = randomBook(random, 200)
  const index = createMatchIndex(book)
  let unbacked = 0
  for (let trial = 0; trial < 60; trial++) {
    const bid = randomBid(random, book)
    assertSame(index, book, bid, { canBack: refusing, limit: pick(random, [1, 5, 16]) }, `trial ${trial}`)
    unbacked += matchBid(bid, book, { now: NOW, canBack: refusing }).rejected.unbacked
  }
  assert.ok(unbacked > 0, 'some asks should be unbacked')
})

test('other pricing curves, per match and per index', () => {
  const random = prng(3)
  const book = randomBook(random, 150)
  const index = createMatchIndex(book, { pricing: steep })
  for (let trial = 0; trial < 60; trial++) {
    const bid = randomBid(random, book)
    const pricing = pick(random, [flat, steep, undefined])
    const expected = matchBid(bid, book, { now: NOW, canBack: () => true, pricing: pricing ?? steep })
    const actual = index.match(bid, { now: NOW, pricing })
    assert.equal(actual.candidates, expected.candidates.slice(0, 16), `trial ${trial}`)
    assert.equal(actual.rejected, expected.rejected)
    assert.is(actual.cheapestPrice, expected.cheapestPrice)
  }
})

test('ties on price and createdAt are broken by hash, as matchBid does', () => {
  const random = prng(4)
  const ask = makeAsk({ runtimes: ['wasm'] })
  const book = Array.from({ length: 120 }, (_, i) => ({
    ask: { ...ask, provider: providerN(i + 1), createdAt: NOW - (i % 3) },
    hash: hex(random, 32) as Hex,
  }))
  const index = createMatchIndex(book)
  for (const limit of [1, 2, 7, 16, 119, 120, 500]) assertSame(index, book, makeBid(), { limit }, `limit ${limit}`)
  assertSame(index, book, makeBid({ maxPrice: quote(ask, makeBid()) - 1n }), {}, 'all on price alone')
})

test('prices near uint128: overflowing prices and collateral fall to the exact rules', () => {
  const random = prng(5)
  const book = randomBook(random, 60)
  const huge = (cpu: bigint, collateralBps: number, n: number) =>
    entry(makeAsk({ provider: providerN(1000 + n), prices: { ...makeAsk().prices, cpu }, collateralBps }))
  book.push(huge(MAX_UINT128, 10_000, 1), huge(MAX_UINT128 / 10n ** 9n, 30_000, 2), huge(MAX_UINT128 / 10n ** 12n, 4_000_000_000, 3))
  const index = createMatchIndex(book)
  for (let trial = 0; trial < 40; trial++) {
    const bid = randomBid(random, book)
    assertSame(index, book, { ...bid, maxPrice: pick(random, [bid.maxPrice, MAX_UINT128]) }, {}, `trial ${trial}`)
  }
  const bid = makeBid({ maxPrice: MAX_UINT128, duration: 86_400, requirements: { cpuMillicores: 16_000 } })
  assertSame(index, book, bid, {}, 'huge')
  assertSame(index, book, bid, { canBack: refusing }, 'huge, refusing')
})

test('asks the columns cannot hold are evaluated one by one', () => {
  const random = prng(6)
  const book = randomBook(random, 40)
  const odd: Ask[] = [
    makeAsk({ provider: providerN(901), runtimes: ['wasm', 'quantum' as Runtime] }),
    makeAsk({ provider: providerN(902), free: { ...makeAsk().free, gpus: [...makeAsk().free.gpus, { model: H100, vramMiB: 81_559, count: 1 }] } }),
    makeAsk({ provider: providerN(903), prices: { ...makeAsk().prices, gpus: [{ model: H100, price: 1n }, { model: H100, price: 2n }] } }),
    makeAsk({ provider: providerN(904), free: { ...makeAsk().free, cpuMillicores: 2 ** 40 } }),
  ]
  book.push(...odd.map((ask) => ({ ask, hash: hex(random, 32) as Hex })))
  const index = createMatchIndex(book)
  for (let trial = 0; trial < 30; trial++) assertSame(index, book, randomBid(random, book), {}, `trial ${trial}`)
  assertSame(index, book, makeBid({ requirements: { runtime: 'quantum' as Runtime } }), {}, 'an unknown runtime')
  assertSame(index, book, makeBid({ requirements: { gpus: [{ model: H100, vramMiB: 0, count: 5 }] } }), {}, 'duplicate GPU entries')
})

test('bids the float path cannot price, and a bad curve, get matchBid’s own answer or error', () => {
  const random = prng(7)
  const book = randomBook(random, 30)
  const index = createMatchIndex(book)
  assertSame(index, book, makeBid({ duration: 0 }), {}, 'zero duration')
  assertSame(index, book, makeBid({ maxPrice: -1n }), {}, 'negative maximum')
  const badCurve = { kink: 2n * WAD, slope1: 0n, slope2: 0n }
  const name = (fn: () => unknown) => {
    try {
      fn()
    } catch (error) {
      return (error as Error).name
    }
    return 'none'
  }
  assert.is(
    name(() => index.match(makeBid(), { now: NOW, pricing: badCurve })),
    name(() => matchBid(makeBid(), book, { now: NOW, canBack: () => true, pricing: badCurve })),
  )
  assert.is(name(() => createMatchIndex(book, { pricing: badCurve })), 'InvalidPricingCurveError')
})

test('add, remove and replace keep the index equal to the book', () => {
  const random = prng(8)
  const book = randomBook(random, 120)
  const index = createMatchIndex(book.slice(0, 60))
  const live = new Map(book.slice(0, 60).map((e) => [e.hash, e]))
  let next = 121
  for (let step = 0; step < 300; step++) {
    const roll = random()
    if (roll < 0.4) {
      const added = randomBook(random, 1, next++)[0]!
      assert.ok(index.add(added))
      live.set(added.hash, added)
    } else if (roll < 0.7 && live.size > 0) {
      const hash = pick(random, [...live.keys()])
      assert.ok(index.remove(hash.toUpperCase().replace('0X', '0x') as Hex))
      live.delete(hash)
    } else if (live.size > 0) {
      const hash = pick(random, [...live.keys()])
      const replacement = randomBook(random, 1, next++)[0]!
      assert.ok(index.replace(hash, replacement))
      live.delete(hash)
      live.set(replacement.hash, replacement)
    }
    assert.is(index.size, live.size)
    if (step % 10 === 0) {
      const current = [...live.values()]
      assertSame(index, current, randomBid(random, current.length ? current : book), { limit: pick(random, [1, 16]) }, `step ${step}`)
      assertSame(index, current, randomBid(random, current.length ? current : book), { canBack: refusing }, `step ${step}, refusing`)
    }
  }
  assert.not.ok(index.remove('0x1234'))
  const some = [...live.values()][0]!
  assert.not.ok(index.add({ ...some, hash: some.hash.toUpperCase().replace('0X', '0x') as Hex }), 'the same hash in another case')
  assert.ok(index.has(some.hash.toUpperCase().replace('0X', '0x') as Hex))
})

test('many GPU asks added and removed: the GPU pool compacts and stays right', () => {
  const random = prng(9)
  const gpuAsk = (n: number): AskEntry => {
    let ask = randomAsk(random, n)
    while (ask.free.gpus.length === 0) ask = randomAsk(random, n)
    return { ask, hash: hex(random, 32) as Hex }
  }
  const book = Array.from({ length: 3000 }, (_, i) => gpuAsk(i + 1))
  const index = createMatchIndex(book)
  const kept = book.filter((_, i) => i % 4 === 0)
  for (const [i, e] of book.entries()) if (i % 4 !== 0) index.remove(e.hash)
  for (let trial = 0; trial < 20; trial++) assertSame(index, kept, randomBid(random, kept), {}, `trial ${trial}`)
})

test('a larger book: the grids and the capacity counter cut it into many cells', () => {
  const random = prng(10)
  const book = randomBook(random, 2500)
  const index = createMatchIndex(book)
  for (let trial = 0; trial < 40; trial++)
    assertSame(index, book, randomBid(random, book), { limit: pick(random, [1, 16, 5000]) }, `trial ${trial}`)
})

test('a book that grows tenfold and shrinks back draws its grids again and stays right', () => {
  const random = prng(11)
  const first = randomBook(random, 40)
  const index = createMatchIndex(first)
  const live = new Map(first.map((e) => [e.hash, e]))
  const check = (label: string) => {
    const current = [...live.values()]
    for (let trial = 0; trial < 5; trial++) assertSame(index, current, randomBid(random, current), {}, `${label}, trial ${trial}`)
  }
  for (let round = 1; round <= 4; round++) {
    for (const added of randomBook(random, 100 * round, 1000 * round)) {
      index.add(added)
      live.set(added.hash, added)
    }
    check(`grown to ${live.size}`)
  }
  for (const hash of [...live.keys()]) {
    if (live.size <= 30) break
    index.remove(hash)
    live.delete(hash)
    if (live.size % 97 === 0) check(`shrunk to ${live.size}`)
  }
  check('shrunk')
})

test('asks added while the index prices for another curve', () => {
  const random = prng(12)
  const book = randomBook(random, 200)
  const index = createMatchIndex(book.slice(0, 100))
  for (const [step, added] of book.slice(100).entries()) {
    index.add(added)
    if (step % 20 !== 0) continue
    const pricing = pick(random, [flat, steep, undefined])
    const current = book.slice(0, 101 + step)
    assertSame(index, current, randomBid(random, current), { pricing }, `step ${step}`)
  }
})

test('a book with duplicate hashes counts each ask once; an empty book matches nothing', () => {
  const ask = makeAsk()
  const e = entry(ask)
  const book = [e, e, { ask, hash: e.hash.toUpperCase().replace('0X', '0x') as Hex }]
  assertSame(createMatchIndex(book), book, makeBid(), {}, 'duplicates')
  assertSame(createMatchIndex([]), [], makeBid(), {}, 'empty')
  assert.equal(createMatchIndex(book).entries(), [e])
})

test.run()
