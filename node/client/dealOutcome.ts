import { type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'

/**
 * What a finished deal paid out, from its event: a liquidation's refund and compensation (payment-token units).
 * The refund is claimable at once, the compensation the provider paid from `vestedUntil` (unix seconds).
 */
export type DealOutcome = { kind: 'liquidated'; refund: bigint; compensation: bigint; vestedUntil: bigint; keeper: Hex; txHash: Hex; blockNumber: bigint }

/** Reads how a liquidated deal ended from the market's `DealLiquidated` event; `undefined` when it has none. */
export async function getDealOutcome(clients: ChainClients, { deployment, dealId }: { deployment: Pick<Deployment, 'market' | 'deploymentBlock'>; dealId: Hex }): Promise<DealOutcome | undefined> {
  try {
    const [event] = await clients.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'DealLiquidated', args: { dealId }, fromBlock: BigInt(deployment.deploymentBlock) })
    if (!event) return undefined
    const { refund, compensation, vestedUntil, keeper } = event.args as { refund: bigint; compensation: bigint; vestedUntil: bigint; keeper: Hex }
    return { kind: 'liquidated', refund, compensation, vestedUntil: BigInt(vestedUntil), keeper, txHash: event.transactionHash, blockNumber: event.blockNumber }
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_getLogs', rpcUrl: clients.rpcUrl })
  }
}
