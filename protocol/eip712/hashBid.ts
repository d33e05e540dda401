import { type Hex, hashTypedData } from 'viem'
import type { Bid } from '../types/bid.ts'
import type { MarketParameters } from '../types/resources.ts'
import { bidTypedData } from './bidTypedData.ts'

export type HashBidReturnType = Hex

/**
 * The EIP-712 digest of a bid (`keccak256(0x1901 ‖ domainSeparator ‖ hashStruct)`), the value that is signed.
 *
 * @param bid - The bid.
 * @param market - The market it is for.
 * @returns The 32-byte digest.
 * @example
 * const hash = hashBid(bid, { chainId: 31337, market })
 */
export function hashBid(bid: Bid, market: MarketParameters): HashBidReturnType {
  return hashTypedData(bidTypedData(bid, market))
}
