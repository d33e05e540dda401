/** A token-bucket rate: `perSec` tokens a second, at most `burst` saved up. */
export type Rate = { perSec: number; burst: number }

/** Token buckets by key (a peer, a maker, or one shared key). */
export type RateLimiter = {
  /** Takes one token for `key`; false when its bucket is empty. */
  take: (key: string) => boolean
  /** Whether `key` has a token, without taking it. */
  has: (key: string) => boolean
  /** Milliseconds until `key` has a token (0 when it has one). */
  waitMs: (key: string) => number
  /** Drops buckets that are full again, so idle keys cost no memory. */
  prune: () => void
}

/**
 * Creates token buckets, one per key, refilled lazily from a clock.
 *
 * @param rate - Refill rate and bucket size.
 * @param now - Milliseconds clock; defaults to `performance.now`.
 * @returns The limiter.
 * @example
 * const perPeer = createRateLimiter({ perSec: 100, burst: 200 })
 * if (!perPeer.take(peerId)) return 'reject'
 */
export function createRateLimiter({ perSec, burst }: Rate, now: () => number = () => performance.now()): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>()
  const refill = (key: string) => {
    const time = now()
    let bucket = buckets.get(key)
    if (!bucket) {
      bucket = { tokens: burst, at: time }
      buckets.set(key, bucket)
    } else {
      bucket.tokens = Math.min(burst, bucket.tokens + ((time - bucket.at) * perSec) / 1000)
      bucket.at = time
    }
    return bucket
  }
  return {
    take: (key) => {
      const bucket = refill(key)
      if (bucket.tokens < 1) return false
      bucket.tokens -= 1
      return true
    },
    has: (key) => refill(key).tokens >= 1,
    waitMs: (key) => {
      const bucket = refill(key)
      return bucket.tokens >= 1 ? 0 : Math.ceil(((1 - bucket.tokens) * 1000) / perSec)
    },
    prune: () => {
      for (const key of [...buckets.keys()]) if (refill(key).tokens >= burst) buckets.delete(key)
    },
  }
}
