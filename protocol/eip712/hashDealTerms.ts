import { type Hex, hashTypedData } from 'viem'
import type { DealTerms } from '../types/dealTerms.ts'
import type { MarketParameters } from '../types/resources.ts'
import { dealTermsTypedData } from './dealTermsTypedData.ts'

export type HashDealTermsReturnType = Hex

/**
 * The EIP-712 digest of deal terms (`keccak256(0x1901 ‖ domainSeparator ‖ hashStruct)`), the value that is signed. It is also the deal id: the contract identifies a deal by this digest.
 *
 * @param terms - The deal terms.
 * @param market - The market it is for.
 * @returns The 32-byte digest.
 * @example
 * const hash = hashDealTerms(terms, { chainId: 31337, market })
 */
export function hashDealTerms(terms: DealTerms, market: MarketParameters): HashDealTermsReturnType {
  return hashTypedData(dealTermsTypedData(terms, market))
}
