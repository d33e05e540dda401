/** 1.0 as the market writes health factors. */
export const WAD = 10n ** 18n
/** Below this health factor all uncovered obligations may be covered at once (`AllotMarket.FULL_LIQUIDATION_HEALTH_FACTOR`). */
export const FULL_LIQUIDATION_HEALTH_FACTOR = 95n * 10n ** 16n
/** Share of the uncovered obligations one position liquidation may cover otherwise (`AllotMarket.CLOSE_FACTOR_BPS`). */
export const CLOSE_FACTOR_BPS = 5_000n
export const BPS = 10_000n

export type PositionLiquidationAmountParameters = {
  position: { obligations: bigint; coverage: bigint }
  /** WAD. */
  healthFactor: bigint
  /** Payment tokens the keeper holds: it cannot pay in more. */
  balance: bigint
}

/**
 * The most a keeper may pay into an unhealthy position's coverage in one `liquidatePosition`,
 * by the market's close factor: half of the uncovered obligations (rounded down, as the contract
 * does), all of them below HF 0.95; zero for a healthy position; never more than `balance`.
 * The market clamps what it is asked for (to this close factor, counted per block and provider, and
 * to what the provider's collateral pays for), so asking for this much never reverts for being too much.
 *
 * @example
 * positionLiquidationAmount({ position, healthFactor: 9n * 10n ** 17n, balance }) // ≤ (obligations − coverage) / 2
 */
export function positionLiquidationAmount({ position, healthFactor, balance }: PositionLiquidationAmountParameters): bigint {
  if (healthFactor >= WAD || position.obligations <= position.coverage) return 0n
  const uncovered = position.obligations - position.coverage
  const allowed = healthFactor < FULL_LIQUIDATION_HEALTH_FACTOR ? uncovered : (uncovered * CLOSE_FACTOR_BPS) / BPS
  return allowed < balance ? allowed : balance
}
