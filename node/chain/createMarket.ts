import { parseEventLogs, type Address } from 'viem'
import { allotMarketBytecode, allotMarketFactoryAbi } from '../../contracts/abi/index.ts'
import defaultParameters from '../../contracts/params/defaultMarket.json' with { type: 'json' }
import { writeContractAction, type WriteResult } from './actions/writeMarket.ts'
import type { ChainClients } from './clients.ts'

/** A market's rules, in basis points and seconds: fixed when it is created, never changed. */
export type MarketParameters = {
  collateralFactorBps: number
  liquidationThresholdBps: number
  liquidationBonusBps: number
  keeperBonusBps: number
  insuranceBps: number
  protocolFeeBps: number
  disputeBondBps: number
  challengeWindow: number
  unbondingPeriod: number
  maxPriceAge: number
  arbitrationWindow: number
  minDealDuration: number
  volatilityWeightBps: number
  maxVolatilityBps: number
  minCollateralFactorBps: number
}

/**
 * The parameters a default market is created with (PRODUCT.md: CF 0.8, LT 0.9), defined once in
 * contracts/params/defaultMarket.json, which the forge tests and the deploy script read too.
 */
export const defaultMarketParameters: MarketParameters = defaultParameters

export type MarketConfig = {
  paymentToken: Address
  collateralToken: Address
  /** The zero address when collateral is the payment token. */
  priceFeed: Address
  arbiter: Address
  feeRecipient: Address
  params: MarketParameters
}

export type CreateMarketParameters = { factory: Address; config: MarketConfig; signal?: AbortSignal }

/**
 * Creates a market through the factory (anyone may; one market per configuration).
 * The constructor's checks (parameter bounds, token decimals, feed) surface as the
 * market's named errors.
 *
 * @returns the new market's address with the transaction.
 */
export async function createMarket(clients: ChainClients, { factory, config, signal }: CreateMarketParameters): Promise<WriteResult & { market: Address }> {
  const result = await writeContractAction(clients, {
    address: factory,
    abi: allotMarketFactoryAbi,
    functionName: 'createMarket',
    args: [allotMarketBytecode, config],
    signal,
  })
  const [created] = parseEventLogs({ abi: allotMarketFactoryAbi, eventName: 'MarketCreated', logs: result.receipt.logs })
  if (!created) throw new Error(`createMarket transaction ${result.hash} emitted no MarketCreated`)
  return { ...result, market: created.args.market }
}

/** Every market the factory created, in creation order. */
export function listMarkets(clients: ChainClients, { factory }: { factory: Address }): Promise<readonly Address[]> {
  return clients.public.readContract({ address: factory, abi: allotMarketFactoryAbi, functionName: 'markets' })
}
