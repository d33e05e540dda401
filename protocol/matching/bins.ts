/** `bins − 1` edges splitting the first `size` values into bins of about equal counts. */
export function quantiles(values: ArrayLike<number>, size: number, bins: number): Float64Array {
  const sorted = Float64Array.from({ length: size }, (_, at) => values[at]!).sort()
  return Float64Array.from({ length: bins - 1 }, (_, bin) => (size === 0 ? 0 : sorted[Math.floor(((bin + 1) * size) / bins)]!))
}

/** The number of edges at or below `value`: bin `b` holds values in [edge b − 1, edge b). */
export function binOf(edges: Float64Array, value: number): number {
  let low = 0
  let high = edges.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (edges[middle]! <= value) low = middle + 1
    else high = middle
  }
  return low
}
