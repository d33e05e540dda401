import type { Address } from 'viem'
import { mockPriceFeedAbi } from '../../../contracts/abi/index.ts'
import type { ChainClients } from '../clients.ts'
import { toChainError } from '../errors.ts'
import { PriceFeedReadError } from './errors.ts'
import type { PriceRound } from './types.ts'

export type ReadPriceRoundParameters = { priceFeed: Address; blockNumber?: bigint | undefined }

/**
 * The feed's latest round (Chainlink `latestRoundData`), at `blockNumber` or the latest block.
 * Freshness is not judged here: the market does that itself.
 *
 * @throws PriceFeedReadError wrapping the revert or transport error.
 */
export async function readPriceRound(clients: ChainClients, { priceFeed, blockNumber }: ReadPriceRoundParameters): Promise<PriceRound> {
  try {
    const [roundId, answer, , updatedAt] = await clients.public.readContract({
      address: priceFeed,
      abi: mockPriceFeedAbi,
      functionName: 'latestRoundData',
      ...(blockNumber === undefined ? {} : { blockNumber }),
    })
    return { roundId, answer, updatedAt, blockNumber: blockNumber ?? (await clients.public.getBlockNumber()) }
  } catch (error) {
    throw new PriceFeedReadError({ priceFeed, cause: toChainError(error, { functionName: 'latestRoundData', rpcUrl: clients.rpcUrl }) })
  }
}
