import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type WithdrawParameters = { deployment: Pick<Deployment, 'market'>; signal?: AbortSignal }

/**
 * Withdraws collateral whose unbonding period has passed.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function withdraw(clients: ChainClients, { deployment, signal }: WithdrawParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'withdraw', [], { signal })
}
