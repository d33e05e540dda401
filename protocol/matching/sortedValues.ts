/**
 * A multiset of numbers kept sorted in a typed array: counts below or above a
 * bound by binary search; an insert or delete moves the tail by one place.
 */
export class SortedValues {
  size = 0
  private values = new Float64Array(0)
  private sorted = true

  /** Adds `value`; with `later`, only appends it, for {@link sort} to place after a bulk load. */
  insert(value: number, later = false): void {
    if (this.size === this.values.length) {
      const next = new Float64Array(Math.max(1024, this.size * 2))
      next.set(this.values)
      this.values = next
    }
    if (later) {
      this.values[this.size++] = value
      this.sorted = false
      return
    }
    this.sort()
    const at = this.countAtMost(value)
    this.values.copyWithin(at + 1, at, this.size)
    this.values[at] = value
    this.size++
  }

  /** Deletes one occurrence of `value`, which must be present. */
  delete(value: number): void {
    this.sort()
    const at = this.countBelow(value)
    this.values.copyWithin(at, at + 1, this.size)
    this.size--
  }

  /** Puts values appended by a bulk load in order. */
  sort(): void {
    if (this.sorted) return
    this.values.subarray(0, this.size).sort()
    this.sorted = true
  }

  /** How many values are `< bound`. */
  countBelow(bound: number): number {
    this.sort()
    let low = 0
    let high = this.size
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.values[middle]! < bound) low = middle + 1
      else high = middle
    }
    return low
  }

  /** How many values are `≤ bound`. */
  countAtMost(bound: number): number {
    this.sort()
    let low = 0
    let high = this.size
    while (low < high) {
      const middle = (low + high) >>> 1
      if (this.values[middle]! <= bound) low = middle + 1
      else high = middle
    }
    return low
  }
}
