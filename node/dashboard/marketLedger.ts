import type { Address, Hex } from 'viem'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { createEventFollower, type EventFollower } from '../chain/events/createEventFollower.ts'
import type { MarketEvent } from '../chain/events/types.ts'
import { logger } from '../log/logger.ts'

const log = logger('dashboard:ledger')

/** A deal as the market's events tell it; `status` uses the contract's status names. */
export type LedgerDeal = { dealId: Hex; client: Address; provider: Address; price: bigint; collateral: bigint; status: string; openedBlock: bigint; updatedBlock: bigint }

export type LedgerLiquidation =
  | { kind: 'deal'; dealId: Hex; keeper: Address; refund: bigint; compensation: bigint; keeperBonus: bigint; insuranceShare: bigint; block: bigint }
  | { kind: 'position'; provider: Address; keeper: Address; repaid: bigint; collateralSeized: bigint; block: bigint }

export type MarketLedger = {
  start: () => Promise<void>
  stop: () => Promise<void>
  deals: () => LedgerDeal[]
  liquidations: () => LedgerLiquidation[]
  /** Every provider that ever staked or opened a deal. */
  providers: () => Address[]
  /** Payment-token base units paid out to a provider by settled deals. */
  earnings: (provider: Address) => bigint
  head: () => bigint | undefined
}

/**
 * Folds the market's events, from its deployment block on, into what the dashboard
 * shows: deals and their states, liquidations, providers and what they earned.
 * Kept in memory: the chain is the record, and a restart reads it again.
 *
 * @example
 * const ledger = createMarketLedger({ clients, deployment })
 * await ledger.start()
 * ledger.deals().filter((deal) => deal.status === 'Open')
 */
export function createMarketLedger(components: { clients: ChainClients; deployment: Deployment }, init: { pollingInterval?: number } = {}): MarketLedger {
  const deals = new Map<string, LedgerDeal>()
  const liquidations: LedgerLiquidation[] = []
  const providers = new Set<Address>()
  const earnings = new Map<string, bigint>()
  let follower: EventFollower | undefined

  const setStatus = (dealId: Hex, status: string, block: bigint) => {
    const deal = deals.get(dealId.toLowerCase())
    if (deal) Object.assign(deal, { status, updatedBlock: block })
  }
  const apply = (event: MarketEvent) => {
    const block = event.blockNumber
    switch (event.eventName) {
      case 'DealOpened': {
        const { dealId, provider, terms } = event.args
        const { client } = terms
        providers.add(provider)
        deals.set(dealId.toLowerCase(), { dealId, client, provider, price: terms.price, collateral: terms.collateral, status: 'Open', openedBlock: block, updatedBlock: block })
        break
      }
      case 'ResultCommitted':
        return setStatus(event.args.dealId, 'Committed', block)
      case 'DealDisputed':
        return setStatus(event.args.dealId, 'Disputed', block)
      case 'DisputeResolved':
        return setStatus(event.args.dealId, event.args.providerAtFault ? 'Defaulted' : 'Committed', block)
      case 'DealSettled': {
        const { dealId, provider, providerAmount } = event.args
        earnings.set(provider.toLowerCase(), (earnings.get(provider.toLowerCase()) ?? 0n) + providerAmount)
        return setStatus(dealId, 'Settled', block)
      }
      case 'DealsSettled': {
        // settleMany credits the sum of the prices; the fee is taken when the provider withdraws.
        const { provider, dealIds, total } = event.args
        earnings.set(provider.toLowerCase(), (earnings.get(provider.toLowerCase()) ?? 0n) + total)
        for (const dealId of dealIds) setStatus(dealId, 'Settled', block)
        return
      }
      case 'DealLiquidated': {
        const { dealId, keeper, refund, compensation, keeperBonus, insuranceShare, deferred } = event.args
        liquidations.push({ kind: 'deal', dealId, keeper, refund, compensation, keeperBonus, insuranceShare, block })
        return setStatus(dealId, deferred > 0n ? 'Liquidating' : 'Liquidated', block)
      }
      case 'PositionLiquidated': {
        const { provider, liquidator, repaid, collateralSeized } = event.args
        liquidations.push({ kind: 'position', provider, keeper: liquidator, repaid, collateralSeized, block })
        return
      }
      case 'CollateralDeposited':
        providers.add(event.args.provider)
    }
  }

  return {
    async start() {
      follower = createEventFollower(components.clients, {
        deployment: components.deployment,
        pollingInterval: init.pollingInterval ?? 500,
        followPrice: false,
        onEvents: (events) => events.forEach(apply),
        onReset: () => {
          deals.clear()
          liquidations.length = 0
          providers.clear()
          earnings.clear()
        },
        onError: (error) => log.error('market events: %s', error.message),
      })
      await follower.start()
    },
    stop: async () => follower?.stop(),
    deals: () => [...deals.values()].sort((a, b) => Number(b.openedBlock - a.openedBlock)),
    liquidations: () => [...liquidations].reverse(),
    providers: () => [...providers],
    earnings: (provider) => earnings.get(provider.toLowerCase()) ?? 0n,
    head: () => follower?.status().head?.number,
  }
}
