import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type CloseExpiredDisputeParameters = { deployment: Pick<Deployment, 'market'>; terms: DealTerms; signal?: AbortSignal }

/**
 * Ends a dispute the arbiter left unanswered past the market's arbitration window:
 * the client gets its price and bond back, the provider's obligation is released.
 *
 * @throws ContractRevertError `ArbitrationWindowOpen` while the arbiter may still answer.
 */
export function closeExpiredDispute(clients: ChainClients, { deployment, terms, signal }: CloseExpiredDisputeParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'closeExpiredDispute', [terms], { signal })
}
