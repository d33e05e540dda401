import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
export type SettleManyParameters = { deployment: Pick<Deployment, 'market'>; terms: readonly DealTerms[]; signal?: AbortSignal }

/**
 * Settles every settleable deal of a list; the others are skipped, not reverted.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function settleMany(clients: ChainClients, { deployment, signal, ...parameters }: SettleManyParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'settleMany', [parameters.terms], { signal })
}
