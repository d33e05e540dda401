import type { TypedDataDefinition } from 'viem'
import type { DealTerms } from '../types/dealTerms.ts'
import type { MarketParameters } from '../types/resources.ts'
import { marketDomain } from './marketDomain.ts'
import { dealTermsTypes } from './types.ts'

export type DealTermsTypedDataReturnType = TypedDataDefinition<typeof dealTermsTypes, 'DealTerms'>

/**
 * The EIP-712 typed data of deal terms, as the market contract verifies them.
 *
 * @param terms - The deal terms.
 * @param market - The market contract that will open the deal.
 * @returns `{ domain, types, primaryType: 'DealTerms', message }`.
 * @example
 * const providerSignature = await account.signTypedData(dealTermsTypedData(terms, { chainId, market }))
 */
export function dealTermsTypedData(terms: DealTerms, market: MarketParameters): DealTermsTypedDataReturnType {
  return { domain: marketDomain(market), types: dealTermsTypes, primaryType: 'DealTerms', message: terms }
}
