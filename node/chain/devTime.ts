import type { ChainClients } from './clients.ts'

/**
 * Moves a local chain's clock forward and mines a block, so deadlines and windows
 * pass without waiting. Only anvil (and other dev chains) answer these calls.
 */
export async function increaseTime(clients: ChainClients, seconds: number): Promise<void> {
  await clients.public.request({ method: 'evm_increaseTime' as never, params: [seconds] as never })
  await clients.public.request({ method: 'evm_mine' as never, params: [] as never })
}

/** The latest block's timestamp in unix seconds. */
export async function chainTime(clients: ChainClients): Promise<bigint> {
  return (await clients.public.getBlock()).timestamp
}
