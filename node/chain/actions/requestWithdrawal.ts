import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type RequestWithdrawalParameters = { deployment: Pick<Deployment, 'market'>; amount: bigint; signal?: AbortSignal }

/**
 * Starts the unbonding of collateral; it stays slashable until withdrawn.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function requestWithdrawal(clients: ChainClients, { deployment, signal, ...parameters }: RequestWithdrawalParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'requestWithdrawal', [parameters.amount], { signal })
}
