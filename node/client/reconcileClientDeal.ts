import { getDeal } from '../chain/actions/readMarket.ts'
import { deadlinePassed } from '../chain/chainNow.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { saveClientDeal, type ClientDeal, type ClientDealState } from './clientDeals.ts'

/**
 * Brings a remembered deal in line with the chain, for the command after a client
 * was killed or a deal ended without it: a deal written before `openDeal` was sent
 * becomes `opened` if the chain has it, or `abandoned` (nothing paid) once its terms
 * expired unopened; a deal the chain settled or liquidated takes that state.
 *
 * @returns the deal as saved.
 */
export async function reconcileClientDeal(clients: ChainClients, { home, deployment, deal }: { home: string; deployment: Pick<Deployment, 'market'>; deal: ClientDeal }): Promise<ClientDeal> {
  const onChain = await getDeal(clients, { deployment, dealId: deal.dealId })
  let state: ClientDealState = deal.state
  if (onChain.statusName === 'None') {
    // Not opened (yet): the transaction may still be pending until the terms expire.
    if (deal.state === 'opening' && (await deadlinePassed(clients, deal.terms.expiry)).passed) state = 'abandoned'
  } else if (onChain.statusName === 'Liquidated') state = 'refunded'
  else if (onChain.statusName === 'Settled') state = deal.state === 'downloaded' || deal.state === 'settled' ? 'settled' : deal.state === 'opening' ? 'opened' : deal.state
  else if (deal.state === 'opening') state = 'opened'
  if (state === deal.state) return deal
  const reconciled = { ...deal, state }
  await saveClientDeal(home, reconciled)
  return reconciled
}
