/** The criteria an ask must meet to serve a bid; a failed one names why it did not match. */
export const MatchCriterion = {
  /** `now ≥ ask.expiry`. */
  Expired: 'expired',
  /** The provider's position cannot back the deal's collateral. */
  Unbacked: 'unbacked',
  /** Free CPU, memory or disk is below the bid's requirements. */
  Capacity: 'capacity',
  /** The free GPUs cannot serve the bid's GPU requirements (model, VRAM, count). */
  Gpu: 'gpu',
  /** The ask does not accept the bid's runtime. */
  Runtime: 'runtime',
  /** The bid's duration is outside the ask's [minDuration, maxDuration]. */
  Duration: 'duration',
  /** The ask's price for the bid is above the bid's maximum (or above `uint128`). */
  Price: 'price',
} as const

/** A {@link MatchCriterion} value. */
export type MatchCriterion = (typeof MatchCriterion)[keyof typeof MatchCriterion]

/** Every criterion, in the order reports list them. */
export const matchCriteria: readonly MatchCriterion[] = Object.values(MatchCriterion)
