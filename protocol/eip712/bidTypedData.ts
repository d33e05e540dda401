import type { TypedDataDefinition } from 'viem'
import type { Bid } from '../types/bid.ts'
import type { MarketParameters } from '../types/resources.ts'
import { marketDomain } from './marketDomain.ts'
import { bidTypes } from './types.ts'

export type BidTypedDataReturnType = TypedDataDefinition<typeof bidTypes, 'Bid'>

/**
 * The EIP-712 typed data of a bid.
 *
 * @param bid - The bid.
 * @param market - The market it is for.
 * @returns `{ domain, types, primaryType: 'Bid', message }`.
 * @example
 * const signature = await account.signTypedData(bidTypedData(bid, { chainId, market }))
 */
export function bidTypedData(bid: Bid, market: MarketParameters): BidTypedDataReturnType {
  return { domain: marketDomain(market), types: bidTypes, primaryType: 'Bid', message: bid }
}
