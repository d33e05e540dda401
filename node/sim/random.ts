/** A seeded pseudo-random source (mulberry32): the same seed gives the same run. */
export type Random = {
  /** Uniform in [0, 1). */
  next: () => number
  /** Uniform integer in [min, max]. */
  int: (min: number, max: number) => number
  /** Standard normal (Box–Muller). */
  normal: () => number
  /** Poisson-distributed count with mean `mean` (Knuth; the means here are small). */
  poisson: (mean: number) => number
  chance: (p: number) => boolean
  /** An independent stream derived from this seed and a label, so adding one agent does not shift the others. */
  fork: (label: string) => Random
}

/**
 * Creates a seeded random source.
 *
 * @example
 * const random = createRandom(7)
 * random.int(1, 6)
 */
export function createRandom(seed: number): Random {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    normal: () => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next()),
    poisson: (mean) => {
      if (mean <= 0) return 0
      if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next())))
      const limit = Math.exp(-mean)
      let k = 0
      let p = next()
      while (p > limit) {
        k++
        p *= next()
      }
      return k
    },
    chance: (p) => next() < p,
    fork: (label) => createRandom(hash(`${seed}:${label}`)),
  }
}

function hash(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619)
  return h >>> 0
}
