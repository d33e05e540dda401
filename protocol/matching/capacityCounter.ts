import { binOf, quantiles } from './bins.ts'

const DIMENSIONS = 3

/**
 * Counts the asks whose free CPU, memory and disk all reach a requirement (a
 * three-dimensional dominance count) without a pass over the book. Each
 * dimension is cut into bins at quantiles; a Fenwick tree over the bins counts
 * the asks above the requirement's bin in all three, and the asks in the
 * requirement's own bin of some dimension (a slab, a few per cent of the book)
 * are checked one by one.
 */
export class CapacityCounter {
  /** The size of the book when the edges were drawn. */
  readonly builtSize: number
  private readonly bins: number
  private readonly edges: Float64Array[]
  private readonly tree: Int32Array
  /** Per dimension and bin, the slots in it. */
  private readonly slabs: number[][][]
  /** Per dimension, each slot's bin and its place in that bin's slab. */
  private binOf: Uint8Array[] = []
  private positionInSlab: Int32Array[] = []

  constructor(columns: readonly ArrayLike<number>[], size: number) {
    const bins = Math.max(1, Math.min(64, Math.round(Math.sqrt(size) / 5)))
    this.bins = bins
    this.builtSize = size
    this.edges = columns.map((column) => quantiles(column, size, bins))
    this.tree = new Int32Array(bins ** DIMENSIONS)
    this.slabs = columns.map(() => Array.from({ length: bins }, () => []))
    this.grow(Math.max(1024, size))
    // Count per cell, then turn the counts into a Fenwick tree in place, one axis at a time.
    for (let slot = 0; slot < size; slot++) {
      const cell = this.place(slot, columns[0]![slot]!, columns[1]![slot]!, columns[2]![slot]!)
      this.tree[cell]!++
    }
    for (let axis = 0; axis < DIMENSIONS; axis++) {
      const stride = bins ** (DIMENSIONS - 1 - axis)
      for (let cell = 0; cell < this.tree.length; cell++) {
        const at = Math.floor(cell / stride) % bins
        const next = at + 1 + ((at + 1) & -(at + 1)) - 1
        if (next < bins) this.tree[cell + (next - at) * stride]! += this.tree[cell]!
      }
    }
  }

  add(slot: number, cpu: number, memory: number, disk: number): void {
    if (slot >= this.positionInSlab[0]!.length) this.grow(slot * 2)
    this.place(slot, cpu, memory, disk)
    this.update(slot, 1)
  }

  remove(slot: number): void {
    this.update(slot, -1)
    for (let dimension = 0; dimension < DIMENSIONS; dimension++) {
      const slab = this.slabs[dimension]![this.binOf[dimension]![slot]!]!
      const position = this.positionInSlab[dimension]![slot]!
      const last = slab.pop()!
      if (last !== slot) {
        slab[position] = last
        this.positionInSlab[dimension]![last] = position
      }
    }
  }

  /** The ask in slot `from` now lives in slot `to`. */
  move(from: number, to: number): void {
    if (to >= this.positionInSlab[0]!.length) this.grow(to * 2)
    for (let dimension = 0; dimension < DIMENSIONS; dimension++) {
      const bin = this.binOf[dimension]![from]!
      const position = this.positionInSlab[dimension]![from]!
      this.slabs[dimension]![bin]![position] = to
      this.binOf[dimension]![to] = bin
      this.positionInSlab[dimension]![to] = position
    }
  }

  /**
   * How many asks have at least `cpu`, `memory` and `disk` free.
   *
   * @param columns - The free CPU, memory and disk columns, to check the asks of the requirement's own bins.
   */
  countFitting(columns: readonly ArrayLike<number>[], cpu: number, memory: number, disk: number): number {
    const [freeCpu, freeMemory, freeDisk] = columns as [ArrayLike<number>, ArrayLike<number>, ArrayLike<number>]
    const [cpuBins, memoryBins] = this.binOf as [Uint8Array, Uint8Array, Uint8Array]
    const cpuBin = binOf(this.edges[0]!, cpu)
    const memoryBin = binOf(this.edges[1]!, memory)
    const diskBin = binOf(this.edges[2]!, disk)
    // Above the bin in all three dimensions, every ask fits.
    let fitting = this.countAbove(cpuBin, memoryBin, diskBin)
    const fits = (slot: number) => +(freeCpu[slot]! >= cpu) & +(freeMemory[slot]! >= memory) & +(freeDisk[slot]! >= disk)
    // The rest is in a requirement's bin of some dimension: each counted once, in the first such.
    for (const slot of this.slabs[0]![cpuBin]!) fitting += fits(slot)
    for (const slot of this.slabs[1]![memoryBin]!) if (cpuBins[slot]! > cpuBin) fitting += fits(slot)
    for (const slot of this.slabs[2]![diskBin]!) if (cpuBins[slot]! > cpuBin && memoryBins[slot]! > memoryBin) fitting += fits(slot)
    return fitting
  }

  /** Asks in bins strictly above all three: a prefix sum over bins numbered from the top. */
  private countAbove(cpuBin: number, memoryBin: number, diskBin: number): number {
    const bins = this.bins
    const tree = this.tree
    let total = 0
    for (let x = bins - 1 - cpuBin; x > 0; x -= x & -x)
      for (let y = bins - 1 - memoryBin; y > 0; y -= y & -y)
        for (let z = bins - 1 - diskBin; z > 0; z -= z & -z) total += tree[((x - 1) * bins + (y - 1)) * bins + (z - 1)]!
    return total
  }

  private update(slot: number, delta: number): void {
    const bins = this.bins
    const tree = this.tree
    for (let x = bins - this.binOf[0]![slot]!; x <= bins; x += x & -x)
      for (let y = bins - this.binOf[1]![slot]!; y <= bins; y += y & -y)
        for (let z = bins - this.binOf[2]![slot]!; z <= bins; z += z & -z) tree[((x - 1) * bins + (y - 1)) * bins + (z - 1)]! += delta
  }

  /** Files the slot in its bins and slabs; returns its cell, bins numbered from the top. */
  private place(slot: number, ...values: number[]): number {
    let cell = 0
    for (let dimension = 0; dimension < DIMENSIONS; dimension++) {
      const bin = binOf(this.edges[dimension]!, values[dimension]!)
      this.binOf[dimension]![slot] = bin
      this.positionInSlab[dimension]![slot] = this.slabs[dimension]![bin]!.length
      this.slabs[dimension]![bin]!.push(slot)
      cell = cell * this.bins + (this.bins - 1 - bin)
    }
    return cell
  }

  private grow(capacity: number): void {
    this.binOf = Array.from({ length: DIMENSIONS }, (_, dimension) => {
      const next = new Uint8Array(capacity)
      if (this.binOf[dimension]) next.set(this.binOf[dimension]!)
      return next
    })
    this.positionInSlab = Array.from({ length: DIMENSIONS }, (_, dimension) => {
      const next = new Int32Array(capacity)
      if (this.positionInSlab[dimension]) next.set(this.positionInSlab[dimension]!)
      return next
    })
  }
}
