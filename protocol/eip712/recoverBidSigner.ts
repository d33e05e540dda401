import { type Address, type Hex, recoverTypedDataAddress } from 'viem'
import type { Bid } from '../types/bid.ts'
import type { MarketParameters } from '../types/resources.ts'
import { bidTypedData } from './bidTypedData.ts'

export type RecoverBidSignerParameters = MarketParameters & {
  bid: Bid
  signature: Hex
}

export type RecoverBidSignerReturnType = Address

/**
 * Recovers the address that signed a bid. Asynchronous and costly (~2 ms in
 * pure JavaScript), so validators run the cheap checks first.
 *
 * @param parameters - The bid, its signature and the market.
 * @returns The checksummed signer address; compare it with `isAddressEqual`.
 * @example
 * const signer = await recoverBidSigner({ bid, signature, chainId, market })
 */
export async function recoverBidSigner({
  bid,
  signature,
  ...market
}: RecoverBidSignerParameters): Promise<RecoverBidSignerReturnType> {
  return recoverTypedDataAddress({ ...bidTypedData(bid, market), signature })
}
