import { erc20Abi, parseEventLogs, type Address, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { BPS } from '../../protocol/constants.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import { getDeal, getParameters } from '../chain/actions/readMarket.ts'
import { chainNow } from '../chain/chainNow.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'
import { ChallengeWindowClosedError, DealNotDisputableError, InsufficientBondError, NotYourDealError } from './errors.ts'

export type PrepareDisputeParameters = {
  deployment: Pick<Deployment, 'market' | 'paymentToken'>
  dealId: Hex
  terms: DealTerms
  /** The payment token, for amounts in messages. */
  token: { symbol: string; decimals: number }
}

export type PreparedDispute = {
  /** Payment-token units the client posts, as the market computes it (rounded up). */
  bond: bigint
  disputeBondBps: number
  /** Unix seconds: a dispute must land strictly before. */
  windowEndsAt: bigint
  balance: bigint
}

/**
 * Checks everything `dispute` would check, before anything is sent, and says
 * what the bond will be: the caller is the deal's client, the deal is committed,
 * its challenge window is open and the client can pay the bond.
 *
 * @throws NotYourDealError, DealNotDisputableError, ChallengeWindowClosedError, InsufficientBondError
 */
export async function prepareDispute(clients: ChainClients, { deployment, dealId, terms, token }: PrepareDisputeParameters): Promise<PreparedDispute> {
  const account = clients.wallet.account.address
  if (terms.client.toLowerCase() !== account.toLowerCase()) throw new NotYourDealError({ dealId, client: terms.client, account })
  const [state, parameters, now, balance] = await Promise.all([
    getDeal(clients, { deployment, dealId, provider: terms.provider }),
    getParameters(clients, { deployment }),
    chainNow(clients),
    readBalance(clients, deployment.paymentToken, account),
  ])
  if (state.statusName !== 'Committed') throw new DealNotDisputableError({ dealId, status: state.statusName })
  const windowEndsAt = BigInt(state.time) + BigInt(parameters.challengeWindow)
  if (BigInt(now) >= windowEndsAt) throw new ChallengeWindowClosedError({ dealId, endedAt: windowEndsAt })
  const bond = (terms.price * BigInt(parameters.disputeBondBps) + BPS - 1n) / BPS
  if (balance < bond) throw new InsufficientBondError({ bond, balance, token })
  return { bond, disputeBondBps: parameters.disputeBondBps, windowEndsAt, balance }
}

/**
 * A deal's terms as its `DealOpened` event carries them, for a deal this home did not open.
 *
 * @returns the terms, or `undefined` when the market never opened such a deal.
 */
export async function findDealTerms(clients: ChainClients, { deployment, dealId }: { deployment: Pick<Deployment, 'market' | 'deploymentBlock'>; dealId: Hex }): Promise<DealTerms | undefined> {
  try {
    const logs = await clients.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'DealOpened', args: { dealId }, fromBlock: BigInt(deployment.deploymentBlock) })
    const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealOpened', logs })
    return event?.args.terms
  } catch (error) {
    throw toChainError(error, { functionName: 'eth_getLogs', rpcUrl: clients.rpcUrl })
  }
}

async function readBalance(clients: ChainClients, token: Address, account: Address): Promise<bigint> {
  try {
    return await clients.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })
  } catch (error) {
    throw toChainError(error, { functionName: 'balanceOf', rpcUrl: clients.rpcUrl })
  }
}
