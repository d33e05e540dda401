import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CapacityLedger, type DetectedGpu } from '../../node/runtime/index.ts'

const test = suite('capacity ledger')

const gpu = (index: number, model = 'nvidia-h100-80gb', vramMiB = 81559): DetectedGpu => ({
  index,
  uuid: `GPU-${model}-${index}`,
  name: model,
  model,
  vramMiB,
})

function ledger(now = { t: 0 }) {
  return new CapacityLedger({
    capacity: { cpuMillicores: 8000, memoryMiB: 32768, diskMiB: 100_000, gpus: [gpu(0), gpu(1), gpu(2, 'nvidia-rtx-4090-24gb', 24564)] },
    now: () => now.t,
  })
}

const cpuJob = { cpuMillicores: 2000, memoryMiB: 4096, diskMiB: 1000 }

const throwsNamed = (fn: () => unknown, name: string) => assert.throws(fn, (error: Error) => error.name === name)

test('reservations add up and are released', () => {
  const book = ledger()
  book.reserve('a', cpuJob)
  book.reserve('b', cpuJob)
  assert.is(book.free().cpuMillicores, 4000)
  assert.is(book.free().memoryMiB, 32768 - 8192)
  assert.is(book.release('a')?.id, 'a')
  assert.is(book.free().cpuMillicores, 6000)
  assert.is(book.release('a'), undefined)
})

test('it never over-commits', () => {
  const book = ledger()
  book.reserve('a', { ...cpuJob, cpuMillicores: 7000 })
  throwsNamed(() => book.reserve('b', cpuJob), 'InsufficientCapacityError')
  throwsNamed(() => book.reserve('c', { cpuMillicores: 1, memoryMiB: 40_000, diskMiB: 0 }), 'InsufficientCapacityError')
  book.reserve('d', { cpuMillicores: 1000, memoryMiB: 1, diskMiB: 1 })
  assert.is(book.free().cpuMillicores, 0)
  throwsNamed(() => book.reserve('d', { cpuMillicores: 0, memoryMiB: 0, diskMiB: 0 }), 'DuplicateReservationError')
})

test('reservations lapse at their expiry unless held', () => {
  const clock = { t: 1000 }
  const book = ledger(clock)
  book.reserve('proposal', { ...cpuJob, cpuMillicores: 8000 }, 5000)
  throwsNamed(() => book.reserve('other', cpuJob), 'InsufficientCapacityError')
  clock.t = 5000
  assert.is(book.get('proposal'), undefined)
  book.reserve('deal', cpuJob, 6000)
  book.hold('deal', 100_000)
  clock.t = 50_000
  assert.ok(book.get('deal'))
  book.hold('deal')
  clock.t = 10 ** 12
  assert.ok(book.get('deal'), 'held without expiry until released')
  throwsNamed(() => book.hold('proposal', 1), 'ReservationNotFoundError')
})

test('GPUs go to one job at a time, by index', () => {
  const book = ledger()
  const first = book.reserve('a', { ...cpuJob, gpu: { model: 'nvidia-h100-80gb', count: 1 } })
  const second = book.reserve('b', { ...cpuJob, gpu: { model: 'nvidia-h100-80gb', count: 1 } })
  assert.equal(first.gpus.map((g) => g.index), [0])
  assert.equal(second.gpus.map((g) => g.index), [1])
  throwsNamed(() => book.reserve('c', { ...cpuJob, gpu: { model: 'nvidia-h100-80gb', count: 1 } }), 'InsufficientGpusError')
  book.release('a')
  assert.equal(book.reserve('c', { ...cpuJob, gpu: { model: 'nvidia-h100-80gb', count: 1 } }).gpus.map((g) => g.uuid), ['GPU-nvidia-h100-80gb-0'])
})

test('a GPU request takes all its GPUs from one model, the smallest that suffices', () => {
  const book = ledger()
  assert.equal(book.reserve('any', { ...cpuJob, gpu: { count: 1 } }).gpus.map((g) => g.model), ['nvidia-rtx-4090-24gb'])
  assert.equal(book.reserve('big', { ...cpuJob, gpu: { vramMiB: 40_000, count: 2 } }).gpus.map((g) => g.index), [0, 1])
  throwsNamed(() => book.reserve('more', { ...cpuJob, gpu: { count: 1 } }), 'InsufficientGpusError')
})

test('no two live reservations ever share a GPU', () => {
  const book = ledger()
  for (let i = 0; i < 50; i++) {
    try {
      book.reserve(`job-${i}`, { cpuMillicores: 10, memoryMiB: 10, diskMiB: 0, gpu: { count: 1 + (i % 2) } })
    } catch {
      book.release(`job-${i - 1 - (i % 3)}`)
    }
    const held = book.reservations().flatMap((r) => r.gpus.map((g) => g.uuid))
    assert.is(new Set(held).size, held.length)
  }
})

test('free capacity in the market terms of an ask', () => {
  const book = ledger()
  book.reserve('a', { ...cpuJob, gpu: { model: 'nvidia-h100-80gb', count: 1 } })
  assert.equal(book.freeResources(), {
    cpuMillicores: 6000,
    memoryMiB: 32768 - 4096,
    diskMiB: 99_000,
    gpus: [
      { model: 'nvidia-h100-80gb', vramMiB: 81559, count: 1 },
      { model: 'nvidia-rtx-4090-24gb', vramMiB: 24564, count: 1 },
    ],
  })
  assert.is(book.capacityResources().gpus[0]!.count, 2)
})

test.run()
