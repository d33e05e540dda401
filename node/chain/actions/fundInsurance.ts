import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type FundInsuranceParameters = { deployment: Pick<Deployment, 'market'>; amount: bigint; signal?: AbortSignal }

/**
 * Adds payment tokens to the insurance fund.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function fundInsurance(clients: ChainClients, { deployment, signal, ...parameters }: FundInsuranceParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'fundInsurance', [parameters.amount], { signal })
}
