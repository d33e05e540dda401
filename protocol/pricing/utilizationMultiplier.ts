import { WAD } from '../constants.ts'
import { InvalidUtilizationError } from '../errors/pricing.ts'
import { ceilDiv } from './math.ts'
import { assertPricingCurve, DEFAULT_PRICING_CURVE, type PricingCurve } from './pricingCurve.ts'

/**
 * The curve's multiplier at `utilization`, exactly, scaled by 1e36 (a product
 * of two 1e18 values), so that a quote rounds once, at the end.
 *
 * @param utilization - In [0, 1e18].
 * @param curve - The curve.
 * @returns The multiplier × 1e36.
 * @throws {InvalidUtilizationError} Utilization outside [0, 1e18].
 * @throws {InvalidPricingCurveError} Curve parameters out of range.
 */
export function exactMultiplier(utilization: bigint, curve: PricingCurve): bigint {
  if (utilization < 0n || utilization > WAD) throw new InvalidUtilizationError({ utilization })
  assertPricingCurve(curve)
  const below = utilization < curve.kink ? utilization : curve.kink
  const above = utilization > curve.kink ? utilization - curve.kink : 0n
  return WAD * WAD + curve.slope1 * below + curve.slope2 * above
}

/**
 * The price multiplier of the kinked curve at a utilization.
 *
 * @param utilization - Reserved over advertised capacity, 1e18 = 100%.
 * @param curve - Defaults to {@link DEFAULT_PRICING_CURVE}.
 * @returns The multiplier, 1e18 = 1×, rounded up.
 * @throws {InvalidUtilizationError} Utilization outside [0, 1e18].
 * @example
 * utilizationMultiplier(10n ** 18n) // 2.4e18 with the default curve
 */
export function utilizationMultiplier(utilization: bigint, curve: PricingCurve = DEFAULT_PRICING_CURVE): bigint {
  return ceilDiv(exactMultiplier(utilization, curve), WAD)
}
