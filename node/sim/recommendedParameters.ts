import { defaultSimMarketParameters, type SimMarketParameters } from './marketAdapter.ts'

/**
 * The parameters `allot sim sweep` recommends (see the README's frontier chart for why); `allot sim`
 * runs with them unless told otherwise. The market's own defaults live with the contracts; the lead
 * wires this recommendation there.
 */
export const recommendedParameters: SimMarketParameters = {
  ...defaultSimMarketParameters,
  // `allot sim sweep` (CF 60–85 %, crash50 + keeperDropout + staleFeed, 12 days, on the factory market):
  // CF 85 % / LT 95 % left 0.024 % of slashed value unpaid by providers at p99 and a 3-block liquidation delay;
  // CF 80 % / LT 90 % is the most capital-efficient set with none. The volatility rule's floor of 60 %
  // (rather than 50 %) keeps more capacity in a volatile market at no cost in these runs.
  collateralFactorBps: 8_000,
  liquidationThresholdBps: 9_000,
  liquidationBonusBps: 500,
  keeperBonusBps: 500,
  insuranceBps: 1_000,
  minCollateralFactorBps: 6_000,
}
