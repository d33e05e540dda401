import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type ClaimParameters = { deployment: Pick<Deployment, 'market'>; token: `0x${string}`; signal?: AbortSignal }

/**
 * Claims payouts that were credited because a transfer to the caller failed.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function claim(clients: ChainClients, { deployment, signal, ...parameters }: ClaimParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'claim', [parameters.token], { signal })
}
