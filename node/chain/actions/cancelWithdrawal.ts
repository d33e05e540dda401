import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type CancelWithdrawalParameters = { deployment: Pick<Deployment, 'market'>; signal?: AbortSignal }

/**
 * Returns a pending withdrawal to the position's collateral.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function cancelWithdrawal(clients: ChainClients, { deployment, signal }: CancelWithdrawalParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'cancelWithdrawal', [], { signal })
}
