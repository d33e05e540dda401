import type { Hex } from 'viem'
import { dealTermsTypedData } from '../../../protocol/eip712/dealTermsTypedData.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'

/**
 * Signs deal terms with the provider's key (EIP-712, the market's domain), as the
 * provider does at the end of a negotiation. The client opens the deal with it.
 *
 * @returns the 65-byte signature.
 */
export function signDealTerms(provider: ChainClients, { deployment, terms }: { deployment: Pick<Deployment, 'chainId' | 'market'>; terms: DealTerms }): Promise<Hex> {
  return provider.wallet.signTypedData(dealTermsTypedData(terms, { chainId: deployment.chainId, market: deployment.market }))
}
