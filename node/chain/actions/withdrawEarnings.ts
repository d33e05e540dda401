import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type WithdrawEarningsParameters = { deployment: Pick<Deployment, 'market'>; signal?: AbortSignal }

/**
 * Sends the calling provider its credited earnings (settled prices) less the market's protocol fee.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error (`NoEarnings` when there is nothing to withdraw).
 */
export function withdrawEarnings(clients: ChainClients, { deployment, signal }: WithdrawEarningsParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'withdrawEarnings', [], { signal })
}
