import { WAD } from '../constants.ts'
import { DEFAULT_PRICING_CURVE, type PricingCurve } from './pricingCurve.ts'
import { utilizationMultiplier } from './utilizationMultiplier.ts'

export type PricingCurvePointsReturnType = { utilization: bigint; multiplier: bigint }[]

/**
 * Samples the curve at `steps + 1` evenly spaced utilizations from 0 to 1, plus
 * the kink, for display.
 *
 * @param curve - Defaults to {@link DEFAULT_PRICING_CURVE}.
 * @param steps - Intervals between 0 and 1; defaults to 10.
 * @returns Points in increasing utilization, 1e18 fixed point.
 * @example
 * pricingCurvePoints().map((p) => [Number(p.utilization) / 1e18, Number(p.multiplier) / 1e18])
 */
export function pricingCurvePoints(
  curve: PricingCurve = DEFAULT_PRICING_CURVE,
  steps = 10,
): PricingCurvePointsReturnType {
  const utilizations = new Set<bigint>([curve.kink])
  for (let i = 0; i <= steps; i++) utilizations.add((WAD * BigInt(i)) / BigInt(steps))
  return [...utilizations]
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
    .map((utilization) => ({ utilization, multiplier: utilizationMultiplier(utilization, curve) }))
}
