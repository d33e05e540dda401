import type { PrivateKeyAccount } from 'viem/accounts'
import type { Random } from './random.ts'
import { simAccount, simKey } from './simChain.ts'

/**
 * The providers' strategies. Honest providers run every job they take and commit in time; the rest
 * each probe one rule: flaky ones miss deadlines, quitters walk away when their collateral falls,
 * over-committers sign more than they can back, self-dealers try to take collateral out through a
 * deal with themselves, front-runners settle their own deals to make a liquidation fail, dust
 * providers leave positions too small to be worth liquidating, and Sybils undercut the book with
 * little or no stake.
 */
export type ProviderKind = 'honest' | 'flaky' | 'quitter' | 'overcommit' | 'selfDeal' | 'frontrun' | 'dust' | 'sybil'

export type ProviderAgent = {
  index: number
  account: PrivateKeyAccount
  kind: ProviderKind
  /** Collateral staked at the start, whole collateral tokens. */
  stake: number
  /** Concurrent job units it can run. */
  capacity: number
  /** Payment tokens per unit-hour before the utilization curve. */
  unitPrice: number
  /** Deal collateral as a share of the price, basis points (the ask's collateral ratio). */
  collateralBps: number
  /** Chance a job is never committed. */
  missRate: number
  /** Joins the market at this simulated second. */
  joinsAt: number
}

export type ClientAgent = { index: number; account: PrivateKeyAccount }

/** Collateral per unit of capacity, in payment tokens, that a provider running full at the base price must back. */
export const OBLIGATION_PER_UNIT = 15
const REFERENCE_CF = 0.8

/**
 * The population of one run: honest providers of several sizes and stake buffers, flaky and strategic
 * providers, an optional Sybil wave, and the clients.
 */
export function createPopulation({ random, collateralPrice, sybilAt }: { random: Random; collateralPrice: number; sybilAt?: number }) {
  const providers: ProviderAgent[] = []
  let next = 0
  // Stake in collateral tokens that backs `buffer` times a full provider's obligations at today's price under
  // a reference CF of 0.8. Stakes do not follow the market's CF, so a higher CF lets the same stake back more.
  const stakeFor = (capacity: number, buffer: number) => (capacity * OBLIGATION_PER_UNIT * buffer) / REFERENCE_CF / collateralPrice
  const add = (kind: ProviderKind, capacity: number, buffer: number, extra: Partial<ProviderAgent> = {}) => {
    const index = next++
    providers.push({
      index,
      account: simAccount(index),
      kind,
      capacity,
      stake: stakeFor(capacity, buffer),
      unitPrice: 0.5 + random.next() * 0.2,
      collateralBps: 15_000,
      missRate: 0,
      joinsAt: 0,
      ...extra,
    })
  }
  // Honest: small to large, lean (the stake binds before capacity does) to well covered.
  for (const [capacity, buffer] of [[2, 0.6], [2, 3], [4, 0.8], [4, 1.5], [6, 0.7], [8, 2], [8, 1], [12, 4]] as const) add('honest', capacity, buffer)
  add('flaky', 4, 1.5, { missRate: 0.1 })
  add('flaky', 6, 1.2, { missRate: 0.05 })
  add('quitter', 4, 0.8)
  add('quitter', 6, 1)
  add('overcommit', 6, 0.5)
  add('selfDeal', 4, 1)
  add('frontrun', 6, 0.7)
  add('dust', 1, 0.02, { unitPrice: 0.3 })
  if (sybilAt !== undefined) {
    for (let i = 0; i < 30; i++) add('sybil', 2, i % 2 === 0 ? 0 : 0.2, { unitPrice: 0.25 + random.next() * 0.1, missRate: 0.5, joinsAt: sybilAt })
  }
  const clients: ClientAgent[] = Array.from({ length: 10 }, (_, i) => ({ index: i, account: simAccount(1_000 + i) }))
  const keeperKeys = Array.from({ length: 3 }, (_, i) => simKey(2_000 + i))
  return { providers, clients, keeperKeys }
}
