import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { hashTypedData, recoverTypedDataAddress } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import {
  askCancelTypedData,
  askCancelTypes,
  askTypedData,
  askTypes,
  bidTypedData,
  bidTypes,
  type DealTerms,
  dealTermsTypedData,
  dealTermsTypes,
  hashAsk,
  hashAskCancel,
  hashBid,
  hashDealTerms,
  marketDomain,
  recoverAskCancelSigner,
  recoverAskSigner,
  recoverBidSigner,
  recoverDealTermsSigner,
} from '../../protocol/index.ts'
import { dealTermsDigest } from './dealTermsDigest.ts'
import { digest, encodeType } from './eip712Reference.ts'
import { clientAccount, makeAsk, makeBid, market, providerAccount } from './fixtures.ts'

const test = suite('eip712')

const terms: DealTerms = {
  client: clientAccount.address,
  provider: providerAccount.address,
  price: 2_400_000n,
  collateral: 3_600_000n,
  jobHash: '0x9c22ff5f21f0b81b113e63f7db6da94fedef11b2119b4088b89664fb9a3cb658',
  deadline: 1_700_004_200n,
  expiry: 1_700_000_300n,
  salt: 42n,
}

// The type strings docs/protocol.md states; an independent implementation builds these.
const ASK_TYPE =
  'Ask(address provider,string peerId,Resources capacity,Resources free,string[] runtimes,Prices prices,uint32 minDuration,uint32 maxDuration,uint32 collateralBps,uint48 createdAt,uint48 expiry,uint48 sequence,uint48 cancelNonce)' +
  'Gpu(string model,uint32 vramMiB,uint32 count)GpuPrice(string model,uint128 price)Prices(uint128 cpu,uint128 memory,GpuPrice[] gpus)' +
  'Resources(uint32 cpuMillicores,uint32 memoryMiB,uint32 diskMiB,Gpu[] gpus)'
const BID_TYPE =
  'Bid(address client,Requirements requirements,uint32 duration,uint128 maxPrice,bytes32 jobHash,uint48 expiry,uint48 nonce)' +
  'Gpu(string model,uint32 vramMiB,uint32 count)Requirements(uint32 cpuMillicores,uint32 memoryMiB,uint32 diskMiB,Gpu[] gpus,string runtime)'
const CANCEL_TYPE = 'AskCancel(address provider,uint48 cancelNonce)'
const DEAL_TERMS_TYPE =
  'DealTerms(address client,address provider,uint128 price,uint128 collateral,bytes32 jobHash,uint64 deadline,uint64 expiry,uint256 salt)'

test('the domain is name allot, version 1, chain id and market', () => {
  assert.equal(marketDomain(market), { name: 'allot', version: '1', chainId: 31337, verifyingContract: market.market })
})

test('type strings are the documented ones', () => {
  assert.is(encodeType('Ask', askTypes), ASK_TYPE)
  assert.is(encodeType('Bid', bidTypes), BID_TYPE)
  assert.is(encodeType('AskCancel', askCancelTypes), CANCEL_TYPE)
  assert.is(encodeType('DealTerms', dealTermsTypes), DEAL_TERMS_TYPE)
})

test('hashAsk, hashBid, hashAskCancel equal a from-the-spec encoder', () => {
  const domain = marketDomain(market)
  const bid = makeBid({ requirements: { gpus: [{ model: '', vramMiB: 40_000, count: 2 }] } })
  assert.is(hashAsk(makeAsk(), market), digest(domain, 'Ask', makeAsk(), askTypes))
  assert.is(hashBid(bid, market), digest(domain, 'Bid', bid, bidTypes))
  const cancel = { provider: providerAccount.address, cancelNonce: 3 }
  assert.is(hashAskCancel(cancel, market), digest(domain, 'AskCancel', cancel, askCancelTypes))
})

test('hashDealTerms equals viem hashTypedData with literal types and the Solidity-style digest', () => {
  const expected = hashTypedData({
    domain: { name: 'allot', version: '1', chainId: 31337, verifyingContract: market.market },
    types: {
      DealTerms: [
        { name: 'client', type: 'address' },
        { name: 'provider', type: 'address' },
        { name: 'price', type: 'uint128' },
        { name: 'collateral', type: 'uint128' },
        { name: 'jobHash', type: 'bytes32' },
        { name: 'deadline', type: 'uint64' },
        { name: 'expiry', type: 'uint64' },
        { name: 'salt', type: 'uint256' },
      ],
    },
    primaryType: 'DealTerms',
    message: terms,
  })
  assert.is(hashDealTerms(terms, market), expected)
  assert.is(expected, dealTermsDigest(terms, market.chainId, market.market))
  assert.is(expected, '0x493b9f888ed38e43518d3dfb656e3e6cc6c34080650ae00d8b44d3440ffb46b3')
})

test('hashes depend on the chain id and the market address', () => {
  const ask = makeAsk()
  const other = [
    { chainId: 1, market: market.market },
    { chainId: market.chainId, market: '0x0000000000000000000000000000000000000001' as const },
  ]
  for (const m of other) {
    assert.is.not(hashAsk(ask, m), hashAsk(ask, market))
    assert.is.not(hashBid(makeBid(), m), hashBid(makeBid(), market))
    assert.is.not(hashDealTerms(terms, m), hashDealTerms(terms, market))
  }
})

test('the market address is hashed the same in any letter case', () => {
  const upper = { chainId: market.chainId, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const }
  assert.is(hashAsk(makeAsk(), upper), hashAsk(makeAsk(), market))
})

test('every ask field is covered by the hash', () => {
  const base = hashAsk(makeAsk(), market)
  const variants: Partial<ReturnType<typeof makeAsk>>[] = [
    { peerId: 'QmOther' },
    { runtimes: ['wasm'] },
    { minDuration: 61 },
    { maxDuration: 86_401 },
    { collateralBps: 1 },
    { createdAt: 1 },
    { expiry: 1 },
    { sequence: 2 },
    { cancelNonce: 1 },
    { prices: { ...makeAsk().prices, cpu: 1n } },
    { free: { ...makeAsk().free, gpus: [] } },
    { capacity: { ...makeAsk().capacity, diskMiB: 1 } },
  ]
  for (const variant of variants) assert.is.not(hashAsk(makeAsk(variant), market), base, JSON.stringify(Object.keys(variant)))
})

test('a local account signs asks, bids, cancels and terms; recovery gives it back', async () => {
  const ask = makeAsk()
  const askSignature = await providerAccount.signTypedData(askTypedData(ask, market))
  assert.is(await recoverAskSigner({ ask, signature: askSignature, ...market }), providerAccount.address)

  const bid = makeBid()
  const bidSignature = await clientAccount.signTypedData(bidTypedData(bid, market))
  assert.is(await recoverBidSigner({ bid, signature: bidSignature, ...market }), clientAccount.address)

  const cancel = { provider: providerAccount.address, cancelNonce: 5 }
  const cancelSignature = await providerAccount.signTypedData(askCancelTypedData(cancel, market))
  assert.is(await recoverAskCancelSigner({ cancel, signature: cancelSignature, ...market }), providerAccount.address)

  const termsSignature = await providerAccount.signTypedData(dealTermsTypedData(terms, market))
  assert.is(await recoverDealTermsSigner({ terms, signature: termsSignature, ...market }), providerAccount.address)
  // viem's generic recovery over the same typed data agrees.
  assert.is(
    await recoverTypedDataAddress({ ...dealTermsTypedData(terms, market), signature: termsSignature }),
    providerAccount.address,
  )
})

test('recovery under another domain or of altered data gives another address', async () => {
  const ask = makeAsk()
  const signature = await providerAccount.signTypedData(askTypedData(ask, market))
  assert.is.not(await recoverAskSigner({ ask, signature, chainId: 1, market: market.market }), providerAccount.address)
  assert.is.not(await recoverAskSigner({ ask: { ...ask, sequence: 9 }, signature, ...market }), providerAccount.address)
})

test('a signature is the signed digest: sign(hash) recovers the same', async () => {
  const stranger = privateKeyToAccount('0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a')
  const bid = makeBid()
  const signature = await stranger.sign({ hash: hashBid(bid, market) })
  assert.is(await recoverBidSigner({ bid, signature, ...market }), stranger.address)
})

test.run()
