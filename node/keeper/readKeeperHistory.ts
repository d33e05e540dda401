import { parseEventLogs, type Address, type Hash, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'

export type KeeperHistory = {
  deals: { dealId: Hex; provider: Address | null; refund: bigint; compensation: bigint; keeperBonus: bigint; deferred: bigint; blockNumber: bigint; hash: Hash; gasCost: bigint }[]
  positions: { provider: Address; repaid: bigint; collateralSeized: bigint; blockNumber: bigint; hash: Hash; gasCost: bigint }[]
  /** Payment-token units received as deal-liquidation bonuses. */
  bonuses: bigint
  /** Payment tokens put into positions' coverage, and collateral tokens received for them. */
  repaid: bigint
  collateralSeized: bigint
  /** Wei spent on gas by these liquidations. */
  gasCost: bigint
}

/**
 * Everything a keeper account liquidated on a market, from the market's own events
 * (so it survives the keeper's home and agrees with the chain), with the gas each cost.
 *
 * @example
 * const history = await readKeeperHistory(clients, { deployment, keeper: '0x…' })
 */
export async function readKeeperHistory(clients: ChainClients, { deployment, keeper, toBlock }: { deployment: Pick<Deployment, 'market' | 'deploymentBlock'>; keeper: Address; toBlock?: bigint }): Promise<KeeperHistory> {
  try {
    const range = { address: deployment.market, fromBlock: BigInt(deployment.deploymentBlock), ...(toBlock === undefined ? {} : { toBlock }) }
    const [dealLogs, positionLogs] = await Promise.all([
      clients.public.getContractEvents({ ...range, abi: allotMarketAbi, eventName: 'DealLiquidated', args: { keeper } }),
      clients.public.getContractEvents({ ...range, abi: allotMarketAbi, eventName: 'PositionLiquidated', args: { liquidator: keeper } }),
    ])
    const deals = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealLiquidated', logs: dealLogs })
    const positions = parseEventLogs({ abi: allotMarketAbi, eventName: 'PositionLiquidated', logs: positionLogs })
    // A deal's provider is in its DealOpened event only.
    const dealIds = [...new Set(deals.map((log) => log.args.dealId))]
    const opened = dealIds.length === 0 ? [] : parseEventLogs({ abi: allotMarketAbi, eventName: 'DealOpened', logs: await clients.public.getContractEvents({ ...range, abi: allotMarketAbi, eventName: 'DealOpened', args: { dealId: dealIds } }) })
    const providerOf = new Map(opened.map((log) => [log.args.dealId, log.args.provider]))
    const hashes = [...new Set([...deals, ...positions].map((log) => log.transactionHash))]
    const receipts = await Promise.all(hashes.map((hash) => clients.public.getTransactionReceipt({ hash })))
    const gasOf = new Map(receipts.map((receipt) => [receipt.transactionHash, receipt.gasUsed * receipt.effectiveGasPrice]))
    const history: KeeperHistory = {
      deals: deals.map(({ args, blockNumber, transactionHash }) => ({
        dealId: args.dealId,
        provider: providerOf.get(args.dealId) ?? null,
        refund: args.refund,
        compensation: args.compensation,
        keeperBonus: args.keeperBonus,
        deferred: args.deferred,
        blockNumber,
        hash: transactionHash,
        gasCost: gasOf.get(transactionHash) ?? 0n,
      })),
      positions: positions.map(({ args, blockNumber, transactionHash }) => ({
        provider: args.provider,
        repaid: args.repaid,
        collateralSeized: args.collateralSeized,
        blockNumber,
        hash: transactionHash,
        gasCost: gasOf.get(transactionHash) ?? 0n,
      })),
      bonuses: 0n,
      repaid: 0n,
      collateralSeized: 0n,
      gasCost: [...gasOf.values()].reduce((sum, gas) => sum + gas, 0n),
    }
    for (const deal of history.deals) history.bonuses += deal.keeperBonus
    for (const position of history.positions) {
      history.repaid += position.repaid
      history.collateralSeized += position.collateralSeized
    }
    return history
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_getLogs', rpcUrl: clients.rpcUrl })
  }
}
