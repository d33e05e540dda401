import type { MarketParameters } from '../types/resources.ts'

/**
 * Whether an order's market is the expected one (addresses compared case-insensitively).
 *
 * @param signed - The chain id and market an order carries.
 * @param expected - The market this node serves.
 * @returns True when both match.
 */
export function isSameMarket(signed: MarketParameters, expected: MarketParameters): boolean {
  return signed.chainId === expected.chainId && signed.market.toLowerCase() === expected.market.toLowerCase()
}
