/** `⌈a / b⌉` for non-negative `a` and positive `b`. */
export function ceilDiv(a: bigint, b: bigint): bigint {
  return a === 0n ? 0n : (a - 1n) / b + 1n
}
