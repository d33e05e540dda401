import type { Hex } from 'viem'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import type { Sublevel } from '../store/openStore.ts'

/**
 * A provider's job, from signed terms to settlement. Stored in level after every
 * change, so a provider killed at any point resumes from its last state.
 *
 * offered → accepted → running → finished → committed → delivered → settled,
 * or failed (with a reason), or expired (terms never opened on chain).
 */
export type JobState = 'offered' | 'accepted' | 'running' | 'finished' | 'committed' | 'delivered' | 'settled' | 'failed' | 'expired'

export type JobRecord = {
  dealId: Hex
  terms: DealTerms
  state: JobState
  /** The client's libp2p peer id: only it may fetch the result. */
  clientPeer: string
  resultHash?: Hex
  exitCode?: number
  failure?: string
  /** What the market paid the provider when the deal settled (price less the fee, payment-token units), from its DealSettled event. */
  payout?: bigint
  /** Times a run was started, so a crash loop is visible. */
  attempts: number
  updatedAt: number
}

type StoredRecord = Omit<JobRecord, 'terms' | 'payout'> & { terms: Record<keyof DealTerms, string>; payout?: string }

/** The `jobs` sublevel of a provider, with bigints kept exact as decimal strings. */
export type JobRecords = {
  get: (dealId: Hex) => Promise<JobRecord | undefined>
  put: (record: JobRecord) => Promise<void>
  update: (dealId: Hex, changes: Partial<JobRecord>) => Promise<JobRecord>
  all: () => Promise<JobRecord[]>
}

export function jobRecords(sublevel: Sublevel<StoredRecord>): JobRecords {
  const encode = ({ payout, ...record }: JobRecord): StoredRecord => ({
    ...record,
    ...(payout === undefined ? {} : { payout: payout.toString() }),
    terms: Object.fromEntries(Object.entries(record.terms).map(([key, value]) => [key, String(value)])) as StoredRecord['terms'],
  })
  const decode = ({ payout, ...stored }: StoredRecord): JobRecord => ({
    ...stored,
    ...(payout === undefined ? {} : { payout: BigInt(payout) }),
    terms: {
      ...stored.terms,
      client: stored.terms.client as Hex,
      provider: stored.terms.provider as Hex,
      jobHash: stored.terms.jobHash as Hex,
      price: BigInt(stored.terms.price),
      collateral: BigInt(stored.terms.collateral),
      deadline: BigInt(stored.terms.deadline),
      expiry: BigInt(stored.terms.expiry),
      salt: BigInt(stored.terms.salt),
    },
  })
  const records: JobRecords = {
    get: async (dealId) => {
      const stored = await sublevel.get(dealId.toLowerCase())
      return stored === undefined ? undefined : decode(stored)
    },
    put: (record) => sublevel.put(record.dealId.toLowerCase(), encode({ ...record, updatedAt: Date.now() })),
    update: async (dealId, changes) => {
      const current = await records.get(dealId)
      if (!current) throw new Error(`no job record for deal ${dealId}`)
      const next = { ...current, ...changes }
      await records.put(next)
      return next
    },
    all: async () => (await sublevel.values().all()).map(decode),
  }
  return records
}
