import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type UpdateVolatilityParameters = { deployment: Pick<Deployment, 'market'>; signal?: AbortSignal }

/**
 * Takes the price feed's latest round into the market's volatility estimate
 * (anyone may; the keeper does it every round).
 *
 * @throws ContractRevertError `VolatilityUpToDate` when the feed has no newer round.
 */
export function updateVolatility(clients: ChainClients, { deployment, signal }: UpdateVolatilityParameters): Promise<WriteResult> {
  return writeMarket(clients, deployment, 'updateVolatility', [], { signal })
}
