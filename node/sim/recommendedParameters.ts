import { defaultSimMarketParameters, type SimMarketParameters } from './marketAdapter.ts'

/**
 * The parameters `allot sim sweep` recommends (see the README's frontier chart for why); `allot sim`
 * runs with them unless told otherwise. They equal the market's defaults, which live with the contracts.
 */
export const recommendedParameters: SimMarketParameters = {
  ...defaultSimMarketParameters,
  // `allot sim sweep` (CF 60–85 %, crash50 + keeperDropout + staleFeed, 12 days, on the factory market):
  // CF 85 % / LT 95 % left 0.024 % of slashed value unpaid by providers at p99 and a 3-block liquidation delay;
  // CF 80 % / LT 90 % is the most capital-efficient set with none: the dev chain's default market
  // (contracts/params/defaultMarket.json). The volatility rule's floor was not swept, so it stays at the default.
  collateralFactorBps: 8_000,
  liquidationThresholdBps: 9_000,
  liquidationBonusBps: 500,
  keeperBonusBps: 500,
  insuranceBps: 1_000,
}
