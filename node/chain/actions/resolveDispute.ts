import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
export type ResolveDisputeParameters = { deployment: Pick<Deployment, 'market'>; terms: DealTerms; providerAtFault: boolean; signal?: AbortSignal }

/**
 * Resolves a dispute (arbiter only).
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function resolveDispute(clients: ChainClients, { deployment, signal, ...parameters }: ResolveDisputeParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'resolveDispute', [parameters.terms, parameters.providerAtFault], { signal })
}
