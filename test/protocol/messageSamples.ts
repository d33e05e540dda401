import type { DealTerms, Message, SignedAsk, SignedAskCancel, SignedBid } from '../../protocol/index.ts'
import { askCancelTypedData, askTypedData, bidTypedData, dealTermsTypedData } from '../../protocol/index.ts'
import { clientAccount, JOB_HASH, makeAsk, makeBid, market, providerAccount } from './fixtures.ts'

export async function signedAsk(overrides: Parameters<typeof makeAsk>[0] = {}): Promise<SignedAsk> {
  const ask = makeAsk(overrides)
  return { ...market, ask, signature: await providerAccount.signTypedData(askTypedData(ask, market)) }
}

export async function signedBid(overrides: Parameters<typeof makeBid>[0] = {}): Promise<SignedBid> {
  const bid = makeBid(overrides)
  return { ...market, bid, signature: await clientAccount.signTypedData(bidTypedData(bid, market)) }
}

export async function signedCancel(cancelNonce = 1): Promise<SignedAskCancel> {
  const cancel = { provider: providerAccount.address.toLowerCase() as `0x${string}`, cancelNonce }
  return { ...market, cancel, signature: await providerAccount.signTypedData(askCancelTypedData(cancel, market)) }
}

export const sampleTerms: DealTerms = {
  client: clientAccount.address.toLowerCase() as `0x${string}`,
  provider: providerAccount.address.toLowerCase() as `0x${string}`,
  price: 2_400_000n,
  collateral: 3_600_000n,
  jobHash: JOB_HASH,
  deadline: 1_700_004_200n,
  expiry: 1_700_000_300n,
  salt: 2n ** 255n + 1n,
}

/** One message of every type, as its decoder returns it. */
export async function sampleMessages(): Promise<Message[]> {
  const ask = await signedAsk()
  const bid = await signedBid({ requirements: { gpus: [{ model: '', vramMiB: 40_000, count: 1 }], runtime: 'docker' } })
  const cancel = await signedCancel()
  return [
    { type: 'ask', body: ask },
    { type: 'bid', body: bid },
    { type: 'ask-cancel', body: cancel },
    { type: 'sync-request', body: { ...market, book: 'asks', limit: 16 } },
    { type: 'sync-request', body: { ...market, book: 'bids', cursor: 'c:00ff/1700000000', limit: 64 } },
    { type: 'sync-response', body: { asks: [ask], bids: [], cancels: [cancel], next: 'page-2' } },
    { type: 'sync-response', body: { asks: [], bids: [bid], cancels: [] } },
    {
      type: 'deal-proposal',
      body: { bid, askHash: `0x${'ab'.repeat(32)}`, price: 123_456_789n, collateral: 185_185_184n },
    },
    {
      type: 'deal-accept',
      body: { terms: sampleTerms, providerSignature: await providerAccount.signTypedData(dealTermsTypedData(sampleTerms, market)) },
    },
    { type: 'deal-decline', body: { reason: 'capacity-unavailable' } },
    { type: 'deal-decline', body: { reason: 'job-hash-mismatch', detail: 'bundle hashed to 0xdead… — ✗' } },
    { type: 'job-request', body: { jobHash: JOB_HASH, offset: 0 } },
    { type: 'job-header', body: { offset: 4096, total: 5000 } },
    { type: 'job-header', body: { offset: 0, total: 0 } },
    { type: 'result-request', body: { dealId: `0x${'cd'.repeat(32)}`, offset: 8192 } },
    { type: 'result-header', body: { offset: 0, total: 4096 } },
    { type: 'logs-request', body: { dealId: `0x${'cd'.repeat(32)}`, from: 12 } },
    { type: 'log-entry', body: { seq: 4096, stream: 'stderr', data: Uint8Array.from({ length: 904 }, (_, i) => i % 256) } },
    { type: 'log-entry', body: { seq: 0, stream: 'stdout', data: new Uint8Array() } },
    { type: 'fetch-error', body: { reason: 'not-found', detail: 'no such job' } },
  ]
}
