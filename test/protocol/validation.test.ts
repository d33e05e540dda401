import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import type { Address } from 'viem'
import {
  askTypedData,
  type DealAccept,
  type DealProposal,
  dealCollateral,
  dealTermsTypedData,
  hashAsk,
  OrderRejection,
  orderRejectionAction,
  quote,
  validateAsk,
  validateAskCancel,
  validateBid,
  validateDealAccept,
  validateDealProposal,
  type ValidateDealProposalParameters,
  verifyAsk,
  verifyAskCancel,
  verifyBid,
  verifyDealAccept,
  WAD,
} from '../../protocol/index.ts'
import { clientAccount, H100, makeAsk, market, NOW, providerAccount } from './fixtures.ts'
import { sampleTerms, signedAsk, signedBid, signedCancel } from './messageSamples.ts'

const test = suite('validation')
const base = { ...market, now: NOW }
const otherMarket = '0x0000000000000000000000000000000000000001' as Address

test('every rejection has a gossip action: ignore what honest peers may forward, reject the rest', () => {
  assert.equal(Object.keys(orderRejectionAction).sort(), Object.values(OrderRejection).sort())
  assert.is(orderRejectionAction.expired, 'ignore')
  assert.is(orderRejectionAction['not-yet-valid'], 'ignore')
  assert.is(orderRejectionAction.stale, 'ignore')
  assert.is(orderRejectionAction.cancelled, 'ignore')
  assert.is(orderRejectionAction['bad-signature'], 'reject')
  assert.is(orderRejectionAction['wrong-domain'], 'reject')
  assert.is(orderRejectionAction['far-future'], 'reject')
})

test('validateAsk: a fresh ask is valid, market address in any case', async () => {
  const ask = await signedAsk()
  assert.equal(validateAsk(ask, base), { valid: true })
  assert.equal(validateAsk(ask, { ...base, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }), { valid: true })
})

test('validateAsk: wrong chain or market', async () => {
  const ask = await signedAsk()
  assert.equal(validateAsk(ask, { ...base, chainId: 1 }), { valid: false, reason: 'wrong-domain' })
  assert.equal(validateAsk(ask, { ...base, market: otherMarket }), { valid: false, reason: 'wrong-domain' })
})

test('validateAsk: expiry, horizon and creation time, with clock skew', async () => {
  const ask = await signedAsk({ createdAt: NOW - 10, expiry: NOW + 1000 })
  assert.equal(validateAsk(ask, { ...base, now: NOW + 999 }), { valid: true })
  assert.equal(validateAsk(ask, { ...base, now: NOW + 1000 }), { valid: false, reason: 'expired' })
  assert.equal(validateAsk(ask, { ...base, maxHorizonSec: 970, maxClockSkewSec: 30 }), { valid: true })
  assert.equal(validateAsk(ask, { ...base, maxHorizonSec: 969, maxClockSkewSec: 30 }), { valid: false, reason: 'far-future' })
  const far = await signedAsk({ expiry: NOW + 3631 })
  assert.equal(validateAsk(far, base), { valid: false, reason: 'far-future' }) // defaults: 3600 + 30
  const early = await signedAsk({ createdAt: NOW + 31 })
  assert.equal(validateAsk(early, base), { valid: false, reason: 'not-yet-valid' })
  assert.equal(validateAsk(await signedAsk({ createdAt: NOW + 30 }), base), { valid: true })
})

test('validateAsk: cancelled and stale against the book', async () => {
  const ask = await signedAsk({ sequence: 5, cancelNonce: 2 })
  assert.equal(validateAsk(ask, { ...base, known: { sequence: 4, cancelNonce: 2 } }), { valid: true })
  assert.equal(validateAsk(ask, { ...base, known: { cancelNonce: 3 } }), { valid: false, reason: 'cancelled' })
  assert.equal(validateAsk(ask, { ...base, known: { sequence: 5 } }), { valid: false, reason: 'stale' })
  assert.equal(validateAsk(ask, { ...base, known: { sequence: 6 } }), { valid: false, reason: 'stale' })
})

test('verifyAsk: good signature, tampered ask, other signer, garbage signature', async () => {
  const ask = await signedAsk()
  assert.equal(await verifyAsk(ask, base), { valid: true })
  assert.equal(await verifyAsk({ ...ask, ask: { ...ask.ask, collateralBps: 1 } }, base), { valid: false, reason: 'bad-signature' })
  const forged = { ...ask, signature: await clientAccount.signTypedData(askTypedData(ask.ask, market)) }
  assert.equal(await verifyAsk(forged, base), { valid: false, reason: 'bad-signature' })
  const garbage = await verifyAsk({ ...ask, signature: `0x${'00'.repeat(64)}1b` }, base)
  assert.is(garbage.valid, false)
  assert.is(!garbage.valid && garbage.reason, 'bad-signature')
  // Cheap checks run first: an expired ask is never recovered.
  assert.equal(await verifyAsk(ask, { ...base, now: ask.ask.expiry }), { valid: false, reason: 'expired' })
})

test('validateBid / verifyBid', async () => {
  const bid = await signedBid({ expiry: NOW + 600 })
  assert.equal(await verifyBid(bid, base), { valid: true })
  assert.equal(validateBid(bid, { ...base, chainId: 5 }), { valid: false, reason: 'wrong-domain' })
  assert.equal(validateBid(bid, { ...base, now: NOW + 600 }), { valid: false, reason: 'expired' })
  assert.equal(validateBid(bid, { ...base, maxHorizonSec: 60, maxClockSkewSec: 0 }), { valid: false, reason: 'far-future' })
  assert.equal(await verifyBid({ ...bid, bid: { ...bid.bid, maxPrice: bid.bid.maxPrice + 1n } }, base), {
    valid: false,
    reason: 'bad-signature',
  })
})

test('validateAskCancel / verifyAskCancel', async () => {
  const cancel = await signedCancel(3)
  assert.equal(await verifyAskCancel(cancel, { ...market, known: { cancelNonce: 2 } }), { valid: true })
  assert.equal(validateAskCancel(cancel, { ...market, known: { cancelNonce: 3 } }), { valid: false, reason: 'stale' })
  assert.equal(validateAskCancel(cancel, { chainId: 1, market: market.market }), { valid: false, reason: 'wrong-domain' })
  assert.equal(await verifyAskCancel({ ...cancel, cancel: { ...cancel.cancel, cancelNonce: 4 } }, market), {
    valid: false,
    reason: 'bad-signature',
  })
})

async function proposalFor(overrides: Partial<DealProposal> = {}) {
  const ask = makeAsk()
  const bid = await signedBid()
  const price = quote(ask, bid.bid)
  const proposal: DealProposal = {
    bid,
    askHash: hashAsk(ask, market),
    price,
    collateral: dealCollateral(price, ask.collateralBps),
    ...overrides,
  }
  const params: ValidateDealProposalParameters = { ...base, ask, askHash: hashAsk(ask, market), canBack: () => true }
  return { ask, proposal, params }
}

test('validateDealProposal: a proposal on the current ask gives the terms to sign', async () => {
  const { proposal, params } = await proposalFor()
  assert.equal(validateDealProposal(proposal, params), {
    valid: true,
    price: proposal.price,
    collateral: proposal.collateral,
    quote: proposal.price,
  })
})

test('validateDealProposal: each decline reason', async () => {
  const { ask, proposal, params } = await proposalFor()
  const bid = proposal.bid
  const cases: [DealProposal, Partial<ValidateDealProposalParameters>, string][] = [
    [{ ...proposal, askHash: `0x${'00'.repeat(32)}` }, {}, 'ask-unknown'],
    [proposal, { ask: { ...ask, expiry: NOW } }, 'ask-unknown'],
    [{ ...proposal, bid: { ...bid, chainId: 1 } }, {}, 'bid-invalid'],
    [{ ...proposal, price: bid.bid.maxPrice + 1n }, {}, 'bid-invalid'],
    [proposal, { now: bid.bid.expiry }, 'bid-expired'],
    [proposal, { ask: { ...ask, runtimes: ['docker'] } }, 'runtime-unsupported'],
    [proposal, { ask: { ...ask, maxDuration: 60 } }, 'duration-unsupported'],
    [proposal, { free: { ...ask.free, cpuMillicores: 0 } }, 'capacity-unavailable'],
    [proposal, { utilization: WAD }, 'price-changed'],
    [{ ...proposal, collateral: proposal.collateral + 1n }, {}, 'collateral-mismatch'],
    [proposal, { canBack: () => false }, 'insufficient-collateral'],
  ]
  for (const [p, change, reason] of cases) {
    assert.equal(validateDealProposal(p, { ...params, ...change }), { valid: false, reason }, reason)
  }
})

test('validateDealProposal: live capacity sets the live quote; a proposal above it is still signed at its price', async () => {
  const { ask, proposal, params } = await proposalFor({ price: 10n ** 9n })
  const busy = { ...ask.free, gpus: [{ model: H100, vramMiB: 81_559, count: 1 }] } // 3 of 4 H100s reserved
  const result = validateDealProposal({ ...proposal, collateral: 0n }, { ...params, free: busy })
  assert.ok(result.valid)
  if (result.valid) {
    assert.is(result.price, 10n ** 9n)
    assert.is(result.collateral, dealCollateral(10n ** 9n, ask.collateralBps))
    assert.is(result.quote, quote({ ...ask, free: busy }, proposal.bid.bid))
  }
})

async function acceptFor(termsOverrides: Partial<typeof sampleTerms> = {}) {
  const { proposal } = await proposalFor()
  const terms = {
    ...sampleTerms,
    client: proposal.bid.bid.client,
    jobHash: proposal.bid.bid.jobHash,
    price: proposal.price,
    collateral: proposal.collateral,
    expiry: BigInt(NOW + 120),
    deadline: BigInt(NOW + 120 + proposal.bid.bid.duration + 300),
    ...termsOverrides,
  }
  const accept: DealAccept = { terms, providerSignature: await providerAccount.signTypedData(dealTermsTypedData(terms, market)) }
  return { proposal, accept, params: { ...base, proposal, provider: providerAccount.address } }
}

test('validateDealAccept / verifyDealAccept: matching terms are accepted', async () => {
  const { accept, params } = await acceptFor()
  assert.equal(validateDealAccept(accept, params), { valid: true })
  assert.equal(await verifyDealAccept(accept, params), { valid: true })
})

test('validateDealAccept: each rejection', async () => {
  const { proposal } = await proposalFor()
  const duration = BigInt(proposal.bid.bid.duration)
  const expiry = BigInt(NOW + 120)
  const cases: [Partial<typeof sampleTerms>, string][] = [
    [{ client: providerAccount.address }, 'client-mismatch'],
    [{ provider: clientAccount.address }, 'provider-mismatch'],
    [{ jobHash: `0x${'22'.repeat(32)}` }, 'job-hash-mismatch'],
    [{ price: proposal.price + 1n }, 'price-above-proposal'],
    [{ collateral: proposal.collateral - 1n }, 'collateral-below-proposal'],
    [{ expiry: BigInt(NOW), deadline: BigInt(NOW) + duration }, 'expired'],
    [{ expiry: BigInt(NOW + 331), deadline: BigInt(NOW + 331) + duration }, 'expiry-too-far'],
    [{ deadline: expiry + duration - 1n }, 'deadline-too-early'],
    [{ deadline: expiry + duration + 3601n }, 'deadline-too-late'],
  ]
  for (const [change, reason] of cases) {
    const { accept, params } = await acceptFor(change)
    assert.equal(validateDealAccept(accept, params), { valid: false, reason }, reason)
  }
  const { accept, params } = await acceptFor({ expiry: BigInt(NOW + 330), deadline: BigInt(NOW + 330) + duration + 3600n })
  assert.equal(validateDealAccept(accept, params), { valid: true }) // bounds included
})

test('verifyDealAccept: a signature by anyone but the provider, or for another market', async () => {
  const { accept, params } = await acceptFor()
  const bySomeoneElse = { ...accept, providerSignature: await clientAccount.signTypedData(dealTermsTypedData(accept.terms, market)) }
  assert.equal(await verifyDealAccept(bySomeoneElse, params), { valid: false, reason: 'bad-signature' })
  assert.equal(await verifyDealAccept(accept, { ...params, market: otherMarket }), { valid: false, reason: 'bad-signature' })
})

test.run()
