import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
export type DisputeParameters = { deployment: Pick<Deployment, 'market'>; terms: DealTerms; signal?: AbortSignal }

/**
 * Disputes a committed deal inside the challenge window, posting the dispute bond.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function dispute(clients: ChainClients, { deployment, signal, ...parameters }: DisputeParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'dispute', [parameters.terms], { signal })
}
