import { getAddress, zeroAddress, type Address } from 'viem'
import { allotMarketAbi, allotMarketFactoryAbi } from '../../contracts/abi/index.ts'
import type { ChainClients } from './clients.ts'
import type { Deployment } from './deployment.ts'
import { UnknownMarketError } from './errors.ts'

export type ResolveMarketParameters = {
  /** The deployment file's record: its `market` is the default market. */
  deployment: Deployment
  /** The market chosen (`--market`, ALLOT_MARKET, the config key); the default market when absent. */
  market?: string | undefined
}

/**
 * The deployment as a node on `market` sees it: that market's address, tokens and
 * price feed, and the block it was created in (where its events start). Every part
 * of a node reads its market from the deployment, so choosing a market here is
 * choosing it everywhere: topic names, signature domains, event cursors, actions.
 *
 * @throws UnknownMarketError when the deployment's factory did not create `market`.
 * @example
 * const deployment = await resolveMarket(clients, { deployment: await readDeployment(path), market: '0x…' })
 */
export async function resolveMarket(clients: ChainClients, { deployment, market }: ResolveMarketParameters): Promise<Deployment> {
  if (market === undefined || market.toLowerCase() === deployment.market.toLowerCase()) return deployment
  const address = getAddress(market)
  const { factory } = deployment
  if (!factory) throw new UnknownMarketError({ market: address })
  const known = await clients.public.readContract({ address: factory, abi: allotMarketFactoryAbi, functionName: 'isMarket', args: [address] })
  if (!known) throw new UnknownMarketError({ market: address, factory })
  const read = (functionName: 'paymentToken' | 'collateralToken' | 'priceFeed') => clients.public.readContract({ address, abi: allotMarketAbi, functionName })
  const [paymentToken, collateralToken, priceFeed, createdAt] = await Promise.all([read('paymentToken'), read('collateralToken'), read('priceFeed'), creationBlock(clients, { factory, market: address, from: deployment.deploymentBlock })])
  return { ...deployment, market: address, paymentToken, collateralToken, priceFeed: priceFeed === zeroAddress ? undefined : priceFeed, deploymentBlock: createdAt }
}

/**
 * The block the factory created `market` in: nothing of that market happened before it. An
 * endpoint that refuses the log query (some cap its block range) leaves the factory's own
 * deployment block, which is earlier and so only costs a longer first scan.
 */
async function creationBlock(clients: ChainClients, { factory, market, from }: { factory: Address; market: Address; from: number }): Promise<number> {
  const found = await clients.public.getContractEvents({ address: factory, abi: allotMarketFactoryAbi, eventName: 'MarketCreated', args: { market }, fromBlock: BigInt(from), strict: true }).catch(() => [])
  const block = found[0]?.blockNumber
  return block === undefined || block === null ? from : Number(block)
}
