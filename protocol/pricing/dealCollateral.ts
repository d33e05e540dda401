import { BPS } from '../constants.ts'
import { ceilDiv } from './math.ts'

/**
 * The collateral an ask offers for a deal at `price`: `⌈price × collateralBps / 10 000⌉`,
 * rounded up so a client never gets less cover than the ask promised.
 *
 * @param price - The deal's price.
 * @param collateralBps - The ask's collateral ratio.
 * @returns The collateral amount in payment-token units.
 * @example
 * dealCollateral(1_000_000n, 15_000) // 1_500_000n
 */
export function dealCollateral(price: bigint, collateralBps: number): bigint {
  return ceilDiv(price * BigInt(collateralBps), BPS)
}
