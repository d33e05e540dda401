import { encodeAbiParameters, keccak256, parseEventLogs, zeroAddress, type AbiParameter, type Address, type Hex } from 'viem'
import { allotMarketAbi, allotMarketBytecode, allotMarketFactoryAbi } from '../../contracts/abi/index.ts'
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

/** The factory's ABI with the market's errors: the constructor's refusals (bounds, decimals, feed) bubble up through the factory. */
const factoryAbiWithMarketErrors = [...allotMarketFactoryAbi, ...allotMarketAbi.filter((item) => item.type === 'error')]

const configParameter = allotMarketFactoryAbi.find((item) => item.type === 'function' && item.name === 'createMarket')!.inputs[1] as AbiParameter

/** The factory's key for a configuration, `keccak256(abi.encode(config))`: one market per key. */
export function marketId(config: MarketConfig): Hex {
  return keccak256(encodeAbiParameters([configParameter], [config]))
}

/** The market the factory created for exactly this configuration, if any. */
export async function findMarket(clients: ChainClients, { factory, config }: { factory: Address; config: MarketConfig }): Promise<Address | undefined> {
  const market = await clients.public.readContract({ address: factory, abi: allotMarketFactoryAbi, functionName: 'marketOf', args: [marketId(config)] })
  return market === zeroAddress ? undefined : market
}

/** An existing market's whole configuration (its fee recipient as it is now). */
export async function readMarketConfig(clients: ChainClients, { market }: { market: Address }): Promise<MarketConfig> {
  const read = <name extends 'paymentToken' | 'collateralToken' | 'priceFeed' | 'arbiter' | 'feeRecipient' | 'parameters'>(functionName: name) =>
    clients.public.readContract({ address: market, abi: allotMarketAbi, functionName })
  const [paymentToken, collateralToken, priceFeed, arbiter, feeRecipient, params] = await Promise.all([
    read('paymentToken'),
    read('collateralToken'),
    read('priceFeed'),
    read('arbiter'),
    read('feeRecipient'),
    read('parameters'),
  ])
  return { paymentToken, collateralToken, priceFeed, arbiter, feeRecipient, params: { ...params } }
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
    abi: factoryAbiWithMarketErrors,
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
