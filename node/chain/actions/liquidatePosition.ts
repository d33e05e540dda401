import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type LiquidatePositionParameters = { deployment: Pick<Deployment, 'market'>; provider: `0x${string}`; amount: bigint; signal?: AbortSignal }

/**
 * Repays part of an unhealthy position's obligations in payment tokens for collateral at a bonus.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export function liquidatePosition(clients: ChainClients, { deployment, signal, ...parameters }: LiquidatePositionParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'liquidatePosition', [parameters.provider, parameters.amount], { signal })
}
