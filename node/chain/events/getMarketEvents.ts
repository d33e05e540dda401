import { allotMarketAbi } from '../../../contracts/abi/index.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { toChainError } from '../errors.ts'
import type { BlockRange, MarketEvent } from './types.ts'

export type GetMarketEventsParameters = BlockRange & { deployment: Pick<Deployment, 'market'> }

/**
 * Every market event in a block range, decoded with the market ABI, in chain order
 * (block, then log index). The caller keeps the range small enough for its endpoint.
 *
 * @throws ChainUnreachableError when the endpoint fails.
 * @example
 * const events = await getMarketEvents(clients, { deployment, fromBlock: 0n, toBlock: 99n })
 */
export async function getMarketEvents(clients: ChainClients, { deployment, fromBlock, toBlock }: GetMarketEventsParameters): Promise<MarketEvent[]> {
  try {
    const events = await clients.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, fromBlock, toBlock, strict: true })
    return events.sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1))
  } catch (error) {
    throw toChainError(error, { functionName: 'getLogs', rpcUrl: clients.rpcUrl })
  }
}
