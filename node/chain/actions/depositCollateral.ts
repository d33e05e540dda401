import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type DepositCollateralParameters = { deployment: Pick<Deployment, 'market'>; amount: bigint; signal?: AbortSignal }

/**
 * Adds collateral to the caller's provider position (the market must be approved for it).
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function depositCollateral(clients: ChainClients, { deployment, signal, ...parameters }: DepositCollateralParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'depositCollateral', [parameters.amount], { signal })
}
