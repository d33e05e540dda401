import type { Resources } from '../../../protocol/types/resources.ts'
import type { JobResources } from '../../../protocol/job/jobManifestSchema.ts'
import { DuplicateReservationError, InsufficientCapacityError, InsufficientGpusError, ReservationNotFoundError } from '../errors.ts'
import type { DetectedGpu } from './parseNvidiaSmiGpus.ts'

/** What the provider sells: the part of the machine the ledger hands out. */
export type Capacity = {
  cpuMillicores: number
  memoryMiB: number
  diskMiB: number
  gpus: DetectedGpu[]
}

/** Capacity held for one job (a proposal being answered, or a deal being run). */
export type Reservation = {
  id: string
  cpuMillicores: number
  memoryMiB: number
  diskMiB: number
  /** The GPUs this job has to itself. */
  gpus: DetectedGpu[]
  /** When the hold lapses by itself (ms since the epoch); `undefined` holds until `release`. */
  expiresAt: number | undefined
}

export type CapacityLedgerInit = {
  capacity: Capacity
  /** The clock (ms since the epoch). Default `Date.now`. */
  now?: (() => number) | undefined
}

/**
 * Accounts for the provider's capacity so it is never over-committed.
 *
 * A proposal the provider accepts reserves capacity until its signed terms
 * expire; when the deal opens, {@link CapacityLedger.hold} extends the hold to
 * the deal's deadline; when the job ends, {@link CapacityLedger.release} frees
 * it. Lapsed reservations are dropped before every decision, so a client that
 * never opens its deal cannot keep capacity. GPUs are handed out whole, each to
 * one job at a time. Pure: no I/O, and time comes from `now`.
 *
 * @example
 * const ledger = new CapacityLedger({ capacity })
 * const { gpus } = ledger.reserve(dealId, manifest.resources, Date.now() + 60_000)
 */
export class CapacityLedger {
  readonly capacity: Capacity
  readonly #now: () => number
  readonly #reservations = new Map<string, Reservation>()

  constructor({ capacity, now = Date.now }: CapacityLedgerInit) {
    this.capacity = capacity
    this.#now = now
  }

  /**
   * Reserves what a job needs, with its GPUs.
   *
   * @param id - The job's or deal's id.
   * @param resources - The manifest's `resources`.
   * @param expiresAt - When the reservation lapses unless held longer (ms); none holds until released.
   * @returns The reservation, with the GPUs allocated to it.
   * @throws DuplicateReservationError, InsufficientCapacityError, InsufficientGpusError
   */
  reserve(id: string, resources: JobResources, expiresAt?: number): Reservation {
    this.expire()
    if (this.#reservations.has(id)) throw new DuplicateReservationError({ id })
    const free = this.free()
    for (const resource of ['cpuMillicores', 'memoryMiB', 'diskMiB'] as const)
      if (resources[resource] > free[resource])
        throw new InsufficientCapacityError({ resource, requested: resources[resource], available: free[resource] })
    const gpus = resources.gpu ? pickGpus(free.gpus, resources.gpu) : []
    const reservation: Reservation = {
      id,
      cpuMillicores: resources.cpuMillicores,
      memoryMiB: resources.memoryMiB,
      diskMiB: resources.diskMiB,
      gpus,
      expiresAt,
    }
    this.#reservations.set(id, reservation)
    return reservation
  }

  /**
   * Changes when a reservation lapses: later when its deal opens, never when the job runs until it ends.
   *
   * @throws ReservationNotFoundError when it was released or has already lapsed.
   */
  hold(id: string, expiresAt?: number): Reservation {
    this.expire()
    const reservation = this.#reservations.get(id)
    if (!reservation) throw new ReservationNotFoundError({ id })
    reservation.expiresAt = expiresAt
    return reservation
  }

  /**
   * Frees a reservation.
   *
   * @returns The reservation freed, or `undefined` when none was held.
   */
  release(id: string): Reservation | undefined {
    const reservation = this.#reservations.get(id)
    this.#reservations.delete(id)
    return reservation
  }

  /**
   * Drops reservations whose time has passed.
   *
   * @returns The reservations dropped.
   */
  expire(now = this.#now()): Reservation[] {
    const lapsed: Reservation[] = []
    for (const reservation of this.#reservations.values())
      if (reservation.expiresAt !== undefined && reservation.expiresAt <= now) lapsed.push(reservation)
    for (const reservation of lapsed) this.#reservations.delete(reservation.id)
    return lapsed
  }

  /** The reservation held under `id`, if any (lapsed ones are not). */
  get(id: string): Reservation | undefined {
    this.expire()
    return this.#reservations.get(id)
  }

  /** Every reservation held now. */
  reservations(): Reservation[] {
    this.expire()
    return [...this.#reservations.values()]
  }

  /** What is not reserved: amounts, and the GPUs no job holds, in index order. */
  free(): Capacity {
    const held = this.reservations()
    const taken = new Set(held.flatMap((reservation) => reservation.gpus.map((gpu) => gpu.uuid)))
    const sum = (resource: 'cpuMillicores' | 'memoryMiB' | 'diskMiB') =>
      this.capacity[resource] - held.reduce((total, reservation) => total + reservation[resource], 0)
    return {
      cpuMillicores: sum('cpuMillicores'),
      memoryMiB: sum('memoryMiB'),
      diskMiB: sum('diskMiB'),
      gpus: this.capacity.gpus.filter((gpu) => !taken.has(gpu.uuid)),
    }
  }

  /** Free capacity in the market's terms (GPUs counted by model), for the provider's ask. */
  freeResources(): Resources {
    return toResources(this.free())
  }

  /** Sold capacity in the market's terms. */
  capacityResources(): Resources {
    return toResources(this.capacity)
  }
}

/** Groups GPUs by model, as asks list them. */
function toResources(capacity: Capacity): Resources {
  const byModel = new Map<string, { model: string; vramMiB: number; count: number }>()
  for (const gpu of capacity.gpus) {
    const entry = byModel.get(gpu.model) ?? { model: gpu.model, vramMiB: gpu.vramMiB, count: 0 }
    entry.count++
    entry.vramMiB = Math.min(entry.vramMiB, gpu.vramMiB)
    byModel.set(gpu.model, entry)
  }
  return {
    cpuMillicores: capacity.cpuMillicores,
    memoryMiB: capacity.memoryMiB,
    diskMiB: capacity.diskMiB,
    gpus: [...byModel.values()].sort((a, b) => (a.model < b.model ? -1 : a.model > b.model ? 1 : 0)),
  }
}

// All GPUs of one job come from one model, as in the matching rule. Without a
// model, the smallest GPUs that suffice are taken, keeping larger ones for jobs
// that need them; within a model, the lowest indexes.
function pickGpus(free: DetectedGpu[], want: NonNullable<JobResources['gpu']>): DetectedGpu[] {
  const eligible = free.filter((gpu) => (!want.model || gpu.model === want.model) && gpu.vramMiB >= (want.vramMiB ?? 0))
  const byModel = new Map<string, DetectedGpu[]>()
  for (const gpu of eligible) byModel.set(gpu.model, [...(byModel.get(gpu.model) ?? []), gpu])
  const candidates = [...byModel.values()]
    .filter((gpus) => gpus.length >= want.count)
    .sort((a, b) => a[0]!.vramMiB - b[0]!.vramMiB || (a[0]!.model < b[0]!.model ? -1 : 1))
  const chosen = candidates[0]
  if (!chosen) {
    const available = Math.max(0, ...[...byModel.values()].map((gpus) => gpus.length))
    throw new InsufficientGpusError({ requested: want.count, available, model: want.model, vramMiB: want.vramMiB })
  }
  return [...chosen].sort((a, b) => a.index - b.index).slice(0, want.count)
}
