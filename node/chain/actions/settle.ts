import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
export type SettleParameters = { deployment: Pick<Deployment, 'market'>; terms: DealTerms; signal?: AbortSignal }

/**
 * Settles a committed deal: the client at once, anyone after the challenge window.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function settle(clients: ChainClients, { deployment, signal, ...parameters }: SettleParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'settle', [parameters.terms], { signal })
}
