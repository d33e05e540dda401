import { binOf, quantiles } from './bins.ts'

/**
 * Asks binned on two columns, with bin edges at quantiles so that cells hold a
 * few asks each. Per bin it keeps the least and greatest value held, so that
 * a question monotone in both columns (a float price) can be answered for a
 * whole cell from its bounds, looking into the few cells a bound cuts through;
 * per row a Fenwick tree counts the asks in a run of cells.
 */
export class Grid {
  readonly bins: number
  /** The size of the book when the edges were drawn. */
  readonly builtSize: number
  /** One list of slots per cell, at `xBin × bins + yBin`. */
  readonly cells: number[][]
  /**
   * Per bin, bounds of its values that never decrease from bin to bin (see
   * {@link refreshBounds}): a cell's least and greatest value of any function
   * monotone in both columns follow from them, and are monotone along rows and columns.
   */
  readonly xLeast: Float64Array
  readonly xMost: Float64Array
  readonly yLeast: Float64Array
  readonly yMost: Float64Array
  private readonly xEdges: Float64Array
  private readonly yEdges: Float64Array
  /** Per bin, the least and greatest value it has held (removals leave them wider: still bounds). */
  private readonly xLow: Float64Array
  private readonly xHigh: Float64Array
  private readonly yLow: Float64Array
  private readonly yHigh: Float64Array
  private readonly rowTree: Int32Array
  private cellOf = new Int32Array(0)
  private positionInCell = new Int32Array(0)

  constructor(x: ArrayLike<number>, y: ArrayLike<number>, size: number) {
    const bins = Math.max(1, Math.min(128, Math.round(Math.sqrt(size / 16))))
    this.bins = bins
    this.builtSize = size
    this.xEdges = quantiles(x, size, bins)
    this.yEdges = quantiles(y, size, bins)
    this.xLow = new Float64Array(bins).fill(Infinity)
    this.xHigh = new Float64Array(bins).fill(-Infinity)
    this.yLow = new Float64Array(bins).fill(Infinity)
    this.yHigh = new Float64Array(bins).fill(-Infinity)
    this.xLeast = new Float64Array(bins)
    this.xMost = new Float64Array(bins)
    this.yLeast = new Float64Array(bins)
    this.yMost = new Float64Array(bins)
    this.rowTree = new Int32Array(bins * bins)
    this.cells = Array.from({ length: bins * bins }, () => [])
    for (let slot = 0; slot < size; slot++) this.add(slot, x[slot]!, y[slot]!)
  }

  add(slot: number, x: number, y: number): void {
    if (slot >= this.cellOf.length) this.grow(Math.max(1024, slot * 2))
    const xBin = binOf(this.xEdges, x)
    const yBin = binOf(this.yEdges, y)
    if (x < this.xLow[xBin]!) this.xLow[xBin] = x
    if (x > this.xHigh[xBin]!) this.xHigh[xBin] = x
    if (y < this.yLow[yBin]!) this.yLow[yBin] = y
    if (y > this.yHigh[yBin]!) this.yHigh[yBin] = y
    const cell = xBin * this.bins + yBin
    this.cellOf[slot] = cell
    this.positionInCell[slot] = this.cells[cell]!.length
    this.cells[cell]!.push(slot)
    this.count(cell, 1)
  }

  remove(slot: number): void {
    const cell = this.cellOf[slot]!
    const list = this.cells[cell]!
    const position = this.positionInCell[slot]!
    const last = list.pop()!
    if (last !== slot) {
      list[position] = last
      this.positionInCell[last] = position
    }
    this.count(cell, -1)
  }

  /** The ask in slot `from` now lives in slot `to`. */
  move(from: number, to: number): void {
    if (to >= this.cellOf.length) this.grow(to * 2)
    const cell = this.cellOf[from]!
    const position = this.positionInCell[from]!
    this.cells[cell]![position] = to
    this.cellOf[to] = cell
    this.positionInCell[to] = position
  }

  /**
   * Brings the monotone bounds up to date: a bin's least is the least value held
   * in it or any later bin, its most the greatest held in it or any earlier one.
   * Both stay bounds of the bin's own values, and are finite even for empty bins.
   */
  refreshBounds(): void {
    monotone(this.xLow, this.xHigh, this.xEdges, this.xLeast, this.xMost)
    monotone(this.yLow, this.yHigh, this.yEdges, this.yLeast, this.yMost)
  }

  /** How many asks lie in row `xBin`, cells `[fromY, toY)`. */
  countRow(xBin: number, fromY: number, toY: number): number {
    return this.prefix(xBin, toY) - this.prefix(xBin, fromY)
  }

  private prefix(xBin: number, yBins: number): number {
    const base = xBin * this.bins - 1
    let total = 0
    for (let at = yBins; at > 0; at -= at & -at) total += this.rowTree[base + at]!
    return total
  }

  private count(cell: number, delta: number): void {
    const xBin = (cell / this.bins) | 0
    const base = xBin * this.bins - 1
    for (let at = (cell % this.bins) + 1; at <= this.bins; at += at & -at) this.rowTree[base + at]! += delta
  }

  private grow(capacity: number): void {
    const cellOf = new Int32Array(capacity)
    const positionInCell = new Int32Array(capacity)
    cellOf.set(this.cellOf)
    positionInCell.set(this.positionInCell)
    this.cellOf = cellOf
    this.positionInCell = positionInCell
  }
}

function monotone(low: Float64Array, high: Float64Array, edges: Float64Array, least: Float64Array, most: Float64Array): void {
  const bins = low.length
  let floor = bins > 1 ? edges[bins - 2]! : 0
  for (let bin = bins - 1; bin >= 0; bin--) {
    floor = Math.min(floor, low[bin]!)
    least[bin] = floor
  }
  let ceiling = 0
  for (let bin = 0; bin < bins; bin++) {
    ceiling = Math.max(ceiling, high[bin]!)
    most[bin] = ceiling
  }
}
