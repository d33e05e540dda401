import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
export type CommitResultParameters = { deployment: Pick<Deployment, 'market'>; dealId: `0x${string}`; resultHash: `0x${string}`; signal?: AbortSignal }

/**
 * Commits a deal's result hash (provider only, before the deadline). The market keeps the deal under its
 * provider with its deadline, so the id is all it needs: one word of calldata instead of the full terms.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function commitResult(clients: ChainClients, { deployment, signal, ...parameters }: CommitResultParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'commitResult', [parameters.dealId, parameters.resultHash], { signal })
}
