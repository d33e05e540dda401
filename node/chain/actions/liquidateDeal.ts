import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
export type LiquidateDealParameters = { deployment: Pick<Deployment, 'market'>; terms: DealTerms; signal?: AbortSignal }

/**
 * Liquidates a deal whose deadline passed without a result, or whose dispute was lost.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function liquidateDeal(clients: ChainClients, { deployment, signal, ...parameters }: LiquidateDealParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'liquidateDeal', [parameters.terms], { signal })
}
