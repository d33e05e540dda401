import type { ChainClients } from './clients.ts'
import { toChainError } from './errors.ts'

/**
 * The chain's idea of now, in unix seconds: the timestamp the next block would
 * carry. Deal terms are checked against `block.timestamp`, not the local clock,
 * and the two differ when blocks are sparse or a dev chain has moved its clock.
 */
export async function chainNow(clients: ChainClients): Promise<number> {
  try {
    return Number((await clients.public.getBlock({ blockTag: 'pending' })).timestamp)
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_getBlockByNumber', rpcUrl: clients.rpcUrl })
  }
}

/** Seconds the chain's clock is ahead of this machine's (negative when behind). */
export async function chainClockOffset(clients: ChainClients): Promise<number> {
  return (await chainNow(clients)) - Math.floor(Date.now() / 1000)
}

/**
 * Whether a deal's deadline has passed as the market judges it: the latest block is
 * stamped at or after it, so the next transaction (stamped later still) may liquidate.
 * The keeper, `job status` and `job cancel` all ask this same question.
 */
export async function deadlinePassed(clients: ChainClients, deadline: bigint): Promise<{ passed: boolean; head: bigint }> {
  let head: bigint
  try {
    head = (await clients.public.getBlock({ blockTag: 'latest' })).timestamp
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_getBlockByNumber', rpcUrl: clients.rpcUrl })
  }
  return { passed: head >= deadline, head }
}
