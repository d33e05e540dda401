import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
export type CommitResultParameters = { deployment: Pick<Deployment, 'market'>; terms: DealTerms; resultHash: `0x${string}`; signal?: AbortSignal }

/**
 * Commits a deal's result hash (provider only, before the deadline).
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function commitResult(clients: ChainClients, { deployment, signal, ...parameters }: CommitResultParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'commitResult', [parameters.terms, parameters.resultHash], { signal })
}
