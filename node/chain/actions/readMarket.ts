import type { Address, Hex } from 'viem'
import { allotMarketAbi } from '../../../contracts/abi/index.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { toChainError } from '../errors.ts'

type Market = Pick<Deployment, 'market'>
const dealStatuses = ['None', 'Open', 'Committed', 'Disputed', 'Defaulted', 'Liquidating', 'Settled', 'Liquidated', 'DisputeExpired'] as const
export type DealStatusName = (typeof dealStatuses)[number]

async function read<T>(clients: ChainClients, functionName: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run()
  } catch (error) {
    throw toChainError(error, { functionName, rpcUrl: clients.rpcUrl })
  }
}

/** A provider's position: collateral, coverage, obligations and a pending withdrawal. */
export function getPosition(clients: ChainClients, { deployment, provider }: { deployment: Market; provider: Address }) {
  return read(clients, 'position', () => clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'position', args: [provider] }))
}

/** A provider's health factor as a WAD (1e18 = 1.0); the maximum uint256 with no obligations. Now, or after `blockNumber`. */
export function getHealthFactor(clients: ChainClients, { deployment, provider, blockNumber }: { deployment: Market; provider: Address; blockNumber?: bigint }) {
  return read(clients, 'healthFactor', () =>
    clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'healthFactor', args: [provider], ...(blockNumber === undefined ? {} : { blockNumber }) }),
  )
}

/** How much more deal collateral (payment-token units) a provider can back now. */
export function getMaxDealCollateral(clients: ChainClients, { deployment, provider }: { deployment: Market; provider: Address }) {
  return read(clients, 'maxDealCollateral', () => clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'maxDealCollateral', args: [provider] }))
}

/**
 * A deal's on-chain state, with its status by name. The market keeps deals under their provider; a caller that
 * does not know it (only the id) pays one log query: the provider is a topic of the deal's `DealOpened`.
 * `time` is the deadline while `Open`, when the result was committed once `Committed`, when the dispute began
 * once `Disputed`; `collateral` is what is still owed while `Liquidating`.
 */
export async function getDeal(clients: ChainClients, { deployment, dealId, provider }: { deployment: Market & Partial<Pick<Deployment, 'deploymentBlock'>>; dealId: Hex; provider?: Address }) {
  const owner = provider ?? (await findDealProvider(clients, { deployment, dealId }))
  const state = owner === undefined ? { status: 0, time: 0, price: 0n, collateral: 0n } : await read(clients, 'deal', () => clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'deal', args: [owner, dealId] }))
  return { ...state, statusName: dealStatuses[state.status] ?? 'None' }
}

/** The provider of a deal, from its `DealOpened` event; undefined when no such deal was opened. */
export async function findDealProvider(clients: ChainClients, { deployment, dealId }: { deployment: Market & Partial<Pick<Deployment, 'deploymentBlock'>>; dealId: Hex }): Promise<Address | undefined> {
  const [opened] = await read(clients, 'DealOpened', () =>
    clients.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'DealOpened', args: { dealId }, fromBlock: BigInt(deployment.deploymentBlock ?? 0) }),
  )
  return opened?.args.provider
}

/** What the market credits `account` in the payment token and spends first on its deals (deposits, refunds). */
export function getPaymentCredit(clients: ChainClients, { deployment, account }: { deployment: Pick<Deployment, 'market' | 'paymentToken'>; account: Address }) {
  return read(clients, 'claimable', () => clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'claimable', args: [deployment.paymentToken, account] }))
}

/** The market's risk parameters. */
export function getParameters(clients: ChainClients, { deployment }: { deployment: Market }) {
  return read(clients, 'parameters', () => clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'parameters' }))
}

/** The collateral factor and liquidation threshold in force now (bps), after the market's volatility cut. */
export async function getEffectiveFactors(clients: ChainClients, { deployment }: { deployment: Market }) {
  const [collateralFactorBps, liquidationThresholdBps] = await read(clients, 'effectiveFactors', () =>
    clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'effectiveFactors' }),
  )
  return { collateralFactorBps, liquidationThresholdBps }
}

/** The market's volatility estimate: the last feed round taken in, its price and the per-round variance (WAD). */
export async function getVolatility(clients: ChainClients, { deployment }: { deployment: Market }) {
  const [roundId, price, variance] = await read(clients, 'volatility', () =>
    clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'volatility' }),
  )
  return { roundId, price, variance }
}
