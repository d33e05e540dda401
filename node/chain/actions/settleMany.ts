import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'
export type SettleManyParameters = { deployment: Pick<Deployment, 'market'>; provider: `0x${string}`; dealIds: readonly `0x${string}`[]; signal?: AbortSignal }

/**
 * Settles one provider's committed deals whose challenge window has passed, with one position write and one
 * `DealsSettled` event; the other ids are skipped, not reverted.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function settleMany(clients: ChainClients, { deployment, signal, ...parameters }: SettleManyParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'settleMany', [parameters.provider, parameters.dealIds], { signal })
}
