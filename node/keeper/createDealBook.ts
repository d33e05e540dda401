import type { Address, Hex } from 'viem'
import type { MarketEvent } from '../chain/events/types.ts'
import type { Sublevel } from '../store/openStore.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'

/** Where a deal the keeper watches stands; settled and liquidated deals leave the book. */
export type DealPhase = 'open' | 'committed' | 'disputed' | 'defaulted' | 'liquidating'

export type TrackedDeal = {
  dealId: Hex
  terms: DealTerms
  phase: DealPhase
  /** The block of its `DealOpened`. */
  openedAtBlock: bigint
}

/** A tracked deal as JSON (level values have no bigint). */
export type StoredDeal = {
  dealId: Hex
  terms: Record<keyof DealTerms, string>
  phase: DealPhase
  openedAtBlock: string
}

export type DealBookChange =
  | { type: 'opened'; deal: TrackedDeal }
  | { type: 'phase'; deal: TrackedDeal; previous: DealPhase }
  | { type: 'removed'; deal: TrackedDeal; reason: 'settled' | 'liquidated' }

/** The unfinished deals a keeper knows of, in memory and in level (so a restarted keeper still has their terms). */
export type DealBook = {
  /** Reads the stored deals into memory. */
  load: () => Promise<void>
  get: (dealId: Hex) => TrackedDeal | undefined
  deals: () => IterableIterator<TrackedDeal>
  readonly size: number
  /** Providers with at least one unfinished deal, i.e. with obligations. */
  providers: () => Set<Address>
  /** Applies market events in chain order, in one level batch. Applying the same events again changes nothing. */
  apply: (events: readonly MarketEvent[]) => Promise<DealBookChange[]>
  /** Records what the keeper's own transaction did before the event for it is read. */
  setPhase: (dealId: Hex, phase: DealPhase) => Promise<void>
  remove: (dealId: Hex) => Promise<void>
  clear: () => Promise<void>
}

/**
 * Creates the keeper's book of unfinished deals, kept in `sublevel` under the deal id. The terms
 * come from `DealOpened`, which carries them in full: the market stores none.
 */
export function createDealBook(sublevel: Sublevel<StoredDeal>): DealBook {
  const deals = new Map<Hex, TrackedDeal>()

  return {
    async load() {
      deals.clear()
      for await (const [, stored] of sublevel.iterator()) {
        const deal = fromStored(stored)
        deals.set(deal.dealId, deal)
      }
    },
    get: (dealId) => deals.get(dealId),
    deals: () => deals.values(),
    get size() {
      return deals.size
    },
    providers: () => new Set([...deals.values()].map((deal) => deal.terms.provider)),
    async apply(events) {
      const changes: DealBookChange[] = []
      const touched = new Map<Hex, TrackedDeal | undefined>()
      const setPhase = (dealId: Hex, phase: DealPhase) => {
        const deal = deals.get(dealId)
        if (!deal || deal.phase === phase) return
        const next = { ...deal, phase }
        deals.set(dealId, next)
        touched.set(dealId, next)
        changes.push({ type: 'phase', deal: next, previous: deal.phase })
      }
      const remove = (dealId: Hex, reason: 'settled' | 'liquidated') => {
        const deal = deals.get(dealId)
        if (!deal) return
        deals.delete(dealId)
        touched.set(dealId, undefined)
        changes.push({ type: 'removed', deal, reason })
      }
      for (const event of events) {
        switch (event.eventName) {
          case 'DealOpened': {
            const deal: TrackedDeal = { dealId: event.args.dealId, terms: { ...event.args.terms }, phase: 'open', openedAtBlock: event.blockNumber }
            deals.set(deal.dealId, deal)
            touched.set(deal.dealId, deal)
            changes.push({ type: 'opened', deal })
            break
          }
          case 'ResultCommitted':
            setPhase(event.args.dealId, 'committed')
            break
          case 'DealDisputed':
            setPhase(event.args.dealId, 'disputed')
            break
          case 'DisputeResolved':
            // Not at fault: a DealSettled follows in the same transaction.
            if (event.args.providerAtFault) setPhase(event.args.dealId, 'defaulted')
            break
          case 'DealSettled':
            remove(event.args.dealId, 'settled')
            break
          case 'DealsSettled':
            // settleMany: one event for one provider's run of deals.
            for (const dealId of event.args.dealIds) remove(dealId, 'settled')
            break
          case 'DealLiquidated':
            if (event.args.deferred > 0n) setPhase(event.args.dealId, 'liquidating')
            else remove(event.args.dealId, 'liquidated')
            break
        }
      }
      if (touched.size > 0) {
        await sublevel.batch(
          [...touched].map(([dealId, deal]) => (deal ? { type: 'put' as const, key: dealId, value: toStored(deal) } : { type: 'del' as const, key: dealId })),
        )
      }
      return changes
    },
    async setPhase(dealId, phase) {
      const deal = deals.get(dealId)
      if (!deal || deal.phase === phase) return
      const next = { ...deal, phase }
      deals.set(dealId, next)
      await sublevel.put(dealId, toStored(next))
    },
    async remove(dealId) {
      deals.delete(dealId)
      await sublevel.del(dealId)
    },
    async clear() {
      deals.clear()
      await sublevel.clear()
    },
  }
}

function toStored(deal: TrackedDeal): StoredDeal {
  const { terms } = deal
  return {
    dealId: deal.dealId,
    phase: deal.phase,
    openedAtBlock: deal.openedAtBlock.toString(),
    terms: {
      client: terms.client,
      provider: terms.provider,
      price: terms.price.toString(),
      collateral: terms.collateral.toString(),
      jobHash: terms.jobHash,
      deadline: terms.deadline.toString(),
      expiry: terms.expiry.toString(),
      salt: terms.salt.toString(),
    },
  }
}

function fromStored(stored: StoredDeal): TrackedDeal {
  const { terms } = stored
  return {
    dealId: stored.dealId,
    phase: stored.phase,
    openedAtBlock: BigInt(stored.openedAtBlock),
    terms: {
      client: terms.client as Address,
      provider: terms.provider as Address,
      price: BigInt(terms.price),
      collateral: BigInt(terms.collateral),
      jobHash: terms.jobHash as Hex,
      deadline: BigInt(terms.deadline),
      expiry: BigInt(terms.expiry),
      salt: BigInt(terms.salt),
    },
  }
}
