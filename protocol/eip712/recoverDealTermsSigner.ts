import { type Address, type Hex, recoverTypedDataAddress } from 'viem'
import type { DealTerms } from '../types/dealTerms.ts'
import type { MarketParameters } from '../types/resources.ts'
import { dealTermsTypedData } from './dealTermsTypedData.ts'

export type RecoverDealTermsSignerParameters = MarketParameters & {
  terms: DealTerms
  signature: Hex
}

export type RecoverDealTermsSignerReturnType = Address

/**
 * Recovers the address that signed deal terms. Asynchronous and costly (~2 ms in
 * pure JavaScript), so validators run the cheap checks first.
 *
 * @param parameters - The deal terms, its signature and the market.
 * @returns The checksummed signer address; compare it with `isAddressEqual`.
 * @example
 * const signer = await recoverDealTermsSigner({ terms, signature, chainId, market })
 */
export async function recoverDealTermsSigner({
  terms,
  signature,
  ...market
}: RecoverDealTermsSignerParameters): Promise<RecoverDealTermsSignerReturnType> {
  return recoverTypedDataAddress({ ...dealTermsTypedData(terms, market), signature })
}
