import { WAD } from '../constants.ts'
import { InvalidPricingCurveError } from '../errors/pricing.ts'

/**
 * A kinked utilization curve (the shape of Compound's jump-rate model), all
 * values fixed point with 1e18 = 1: the price multiplier is `1 + slope1·u` up to
 * `kink` and `1 + slope1·kink + slope2·(u − kink)` above it.
 */
export type PricingCurve = {
  /** Utilization where the steep part starts, in [0, 1e18]. */
  kink: bigint
  /** Slope below the kink, ≥ 0. */
  slope1: bigint
  /** Slope above the kink, ≥ 0. */
  slope2: bigint
}

/** k = 0.8, s1 = 0.5, s2 = 5: a full provider charges 1 + 0.4 + 1 = 2.4× its unit prices. */
export const DEFAULT_PRICING_CURVE: PricingCurve = Object.freeze({
  kink: 8n * 10n ** 17n,
  slope1: 5n * 10n ** 17n,
  slope2: 5n * WAD,
})

/**
 * Throws unless the curve's parameters are in range.
 *
 * @param curve - The curve.
 * @throws {InvalidPricingCurveError} Kink outside [0, 1e18] or a negative slope.
 */
export function assertPricingCurve(curve: PricingCurve): void {
  if (curve.kink < 0n || curve.kink > WAD) throw new InvalidPricingCurveError('kink must lie in [0, 1e18]')
  if (curve.slope1 < 0n) throw new InvalidPricingCurveError('slope1 must not be negative')
  if (curve.slope2 < 0n) throw new InvalidPricingCurveError('slope2 must not be negative')
}
