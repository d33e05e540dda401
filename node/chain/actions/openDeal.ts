import { parseEventLogs, type Hex } from 'viem'
import { allotMarketAbi } from '../../../contracts/abi/index.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type OpenDealParameters = {
  deployment: Pick<Deployment, 'market'>
  terms: DealTerms
  /** The provider's EIP-712 signature over the terms. */
  providerSignature: Hex
  signal?: AbortSignal
  /** Called with the hash as soon as the transaction is sent. */
  onSent?: (hash: Hex) => unknown
}

export type OpenDealReturnType = WriteResult & { dealId: Hex }

/**
 * Opens a deal as its client: the price moves into escrow and the collateral amount
 * is added to the provider's obligations. The market must be approved for the price.
 *
 * @returns the deal id (the EIP-712 digest of the terms) with the transaction.
 * @throws ContractRevertError e.g. `InsufficientCollateral`, `OfferExpired`, `DealAlreadyExists`.
 */
export async function openDeal(clients: ChainClients, { deployment, terms, providerSignature, signal, onSent }: OpenDealParameters): Promise<OpenDealReturnType> {
  const result = await writeMarket(clients, deployment, 'openDeal', [terms, providerSignature], { signal, onSent })
  const [opened] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealOpened', logs: result.receipt.logs })
  return { ...result, dealId: opened!.args.dealId }
}
