export type EstimateProfitParameters = {
  /** What the liquidation pays the keeper beyond what it puts in, in payment-token units. */
  bonus: bigint
  /** Gas the transaction is expected to use (a fixed figure per call, see `KeeperInit.gasLimits`). */
  gasLimit: bigint
  /** Wei per gas. */
  gasPrice: bigint
  /** Payment-token units one native coin (1e18 wei) is worth; 0 leaves gas out of the sum. */
  nativePrice: bigint
}

export type ProfitEstimate = { bonus: bigint; gasCost: bigint; profit: bigint }

/**
 * A keeper's profit from one liquidation, deliberately simple: the bonus less gas × gas price
 * converted at a price the operator supplies. Oracle prices for the native coin, priority fees
 * and the value of seized collateral beyond its bonus are left out.
 *
 * @example
 * estimateProfit({ bonus: 1_000_000n, gasLimit: 120_000n, gasPrice: 10n ** 9n, nativePrice: 3_000_000_000n })
 * // gas cost 0.00012 ETH × 3,000 tUSD = 360_000 units; profit 640_000
 */
export function estimateProfit({ bonus, gasLimit, gasPrice, nativePrice }: EstimateProfitParameters): ProfitEstimate {
  const gasCost = (gasLimit * gasPrice * nativePrice) / 10n ** 18n
  return { bonus, gasCost, profit: bonus - gasCost }
}
