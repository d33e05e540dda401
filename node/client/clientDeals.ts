import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'

/** `opening`: written before `openDeal` is sent, so a client killed at any moment still knows what it may have paid for; `abandoned`: never opened on chain, nothing paid. */
export type ClientDealState = 'opening' | 'opened' | 'running' | 'committed' | 'downloaded' | 'settled' | 'defaulted' | 'refunded' | 'abandoned'

/** What a client keeps of each deal it opened: one JSON file per deal, so `job status` and a running `job submit` never contend for a lock. */
export type ClientDeal = {
  dealId: Hex
  terms: DealTerms
  /** The market the deal was opened on; absent in records written before markets could be chosen (they are on the default market). */
  market?: Address
  providerPeer: string
  /** Where the provider was reached while negotiating, so later commands find it without --bootstrap. */
  providerAddresses?: string[]
  /** The provider's signature over the terms: with it the deal can be opened or proven later. */
  providerSignature?: Hex
  jobFolder: string
  resultDir: string
  state: ClientDealState
  resultHash?: Hex
  exitCode?: number
  openedAt: number
  updatedAt: number
  txs: Record<string, Hex>
}

const dealsDir = (home: string) => join(home, 'client', 'deals')
const bigintFields = ['price', 'collateral', 'deadline', 'expiry', 'salt'] as const

export async function saveClientDeal(home: string, deal: ClientDeal): Promise<void> {
  const text = JSON.stringify({ ...deal, updatedAt: Date.now() }, (_key, value) => (typeof value === 'bigint' ? value.toString() : value), 2)
  await writeFileAtomic(join(dealsDir(home), `${deal.dealId.toLowerCase()}.json`), text)
}

export async function readClientDeal(home: string, dealId: string): Promise<ClientDeal | undefined> {
  try {
    return parse(await readFile(join(dealsDir(home), `${dealId.toLowerCase()}.json`), 'utf8'))
  } catch {
    return undefined
  }
}

export async function listClientDeals(home: string): Promise<ClientDeal[]> {
  const names = await readdir(dealsDir(home)).catch(() => [] as string[])
  const deals = await Promise.all(names.filter((name) => name.endsWith('.json')).map((name) => readFile(join(dealsDir(home), name), 'utf8').then(parse)))
  return deals.sort((a, b) => a.openedAt - b.openedAt)
}

function parse(text: string): ClientDeal {
  const deal = JSON.parse(text)
  for (const field of bigintFields) deal.terms[field] = BigInt(deal.terms[field])
  return deal
}
