import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { recoverTypedDataAddress, type Hex } from 'viem'
import { MAX_MESSAGE_BYTES } from '../../../protocol/constants.ts'
import { encodeMessage } from '../../../protocol/codec/encodeMessage.ts'
import { askTypedData } from '../../../protocol/eip712/askTypedData.ts'
import { hashAsk } from '../../../protocol/eip712/hashAsk.ts'
import { hashAskCancel } from '../../../protocol/eip712/hashAskCancel.ts'
import { hashBid } from '../../../protocol/eip712/hashBid.ts'
import { createRateLimiter } from '../../../node/orderbook/rateLimiter.ts'
import { recoverSigner, signatureBackend } from '../../../node/orderbook/recoverSigner.ts'
import { bookRejectionAction, BookRejection } from '../../../node/orderbook/rejection.ts'
import { buildSyncPage, orderJsonSize, type SyncItem } from '../../../node/orderbook/sync.ts'
import { askCancelDigest, askDigest, bidDigest, bytesToHex } from '../../../node/orderbook/typedDataHasher.ts'
import { decodeOrder, verifyAskSignature, verifyBidSignature } from '../../../node/orderbook/verifyOrder.ts'
import { makeTestAsk, signTestAsk, signTestBid, signTestCancel, testKeys, testMarket } from '../../helpers/orderbookNetwork.ts'

const [provider, other] = testKeys as [Hex, Hex]

test('the compiled EIP-712 digests equal protocol’s hashAsk, hashBid and hashAskCancel', async () => {
  const markets = [testMarket, { chainId: 8453, market: '0xabcdef0123456789abcdef0123456789abcdef01' as const }]
  const asks = [
    makeTestAsk(provider),
    makeTestAsk(provider, { sequence: 2 ** 40, cancelNonce: 7, runtimes: ['docker'] }),
    makeTestAsk(other, {
      capacity: { cpuMillicores: 1, memoryMiB: 2, diskMiB: 3, gpus: [] },
      free: { cpuMillicores: 0, memoryMiB: 0, diskMiB: 0, gpus: [] },
      prices: { cpu: 2n ** 128n - 1n, memory: 0n, gpus: [] },
      peerId: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N',
    }),
  ]
  for (const market of markets) {
    for (const ask of asks) assert.is(bytesToHex(askDigest(ask, market)), hashAsk(ask, market))
    const { bid } = await signTestBid(other, { requirements: { cpuMillicores: 1, memoryMiB: 1, diskMiB: 1, gpus: [{ model: '', vramMiB: 1, count: 1 }], runtime: 'process' } })
    assert.is(bytesToHex(bidDigest(bid, market)), hashBid(bid, market))
    const cancel = { provider: asks[0]!.provider, cancelNonce: 2 ** 47 }
    assert.is(bytesToHex(askCancelDigest(cancel, market)), hashAskCancel(cancel, market))
  }
})

test('native recovery agrees with viem, and a tampered order no longer recovers its maker', async () => {
  assert.is(signatureBackend, 'libsecp256k1')
  const signed = await signTestAsk(provider)
  const expected = (await recoverTypedDataAddress({ ...askTypedData(signed.ask, testMarket), signature: signed.signature })).toLowerCase()
  assert.is(await recoverSigner(askDigest(signed.ask, testMarket), signed.signature), expected)
  assert.equal(await verifyAskSignature(signed, testMarket), { valid: true, hash: hashAsk(signed.ask, testMarket) })
  const tampered = { ...signed, ask: { ...signed.ask, collateralBps: 1 } }
  assert.is((await verifyAskSignature(tampered, testMarket)).valid, false)
  assert.is((await verifyAskSignature(signed, { ...testMarket, chainId: 1 })).valid, false)
  const badV = `${signed.signature.slice(0, -2)}05` as Hex
  assert.equal(await verifyAskSignature({ ...signed, signature: badV }, testMarket), { valid: false, reason: 'bad-signature', cause: new Error('invalid signature recovery byte 5') })
  const bid = await signTestBid(other)
  assert.is((await verifyBidSignature(bid, testMarket)).valid, true)
})

test('decodeOrder names what is wrong with the bytes', async () => {
  const ask = encodeMessage({ type: 'ask', body: await signTestAsk(provider) })
  assert.is(decodeOrder(ask, ['ask', 'ask-cancel']).valid, true)
  const reasons = [
    [new Uint8Array(MAX_MESSAGE_BYTES + 1), 'oversized'],
    [new Uint8Array([1]), 'malformed'],
    [new Uint8Array([9, 1, 123]), 'malformed'],
    [new Uint8Array([1, 0x77, 123]), 'malformed'],
    [ask, 'unexpected-type', ['bid'] as const],
    [new Uint8Array([1, 1, ...new TextEncoder().encode('{}')]), 'schema'],
  ] as const
  for (const [bytes, reason, accept] of reasons) {
    const result = decodeOrder(bytes, accept ?? ['ask'])
    assert.is(result.valid ? 'valid' : result.reason, reason)
  }
})

test('every rejection has a gossip action; only what no honest peer forwards is rejected', () => {
  const rejected = Object.values(BookRejection).filter((reason) => bookRejectionAction[reason] === 'reject').sort()
  assert.equal(rejected, ['bad-signature', 'far-future', 'malformed', 'oversized', 'peer-rate-limited', 'schema', 'unexpected-type', 'wrong-domain'])
  for (const reason of Object.values(BookRejection)) assert.ok(['reject', 'ignore'].includes(bookRejectionAction[reason]))
})

test('token buckets allow a burst, then the rate, per key', () => {
  let clock = 0
  const limiter = createRateLimiter({ perSec: 10, burst: 3 }, () => clock)
  assert.equal([1, 2, 3, 4].map(() => limiter.take('a')), [true, true, true, false])
  assert.ok(limiter.take('b'))
  assert.is(limiter.waitMs('a'), 100)
  clock += 100
  assert.ok(limiter.has('a'))
  assert.ok(limiter.take('a'))
  assert.not.ok(limiter.take('a'))
  clock += 10_000
  limiter.prune()
  assert.is(limiter.waitMs('a'), 0)
})

test('sync pages fit the message limit, follow their cursors, and carry each provider’s cancel', async () => {
  const asks = await Promise.all(testKeys.slice(0, 12).map((key, index) => signTestAsk(key, { sequence: index + 1 })))
  const cancel = await signTestCancel(testKeys[3]!, 1)
  const items = new Map<string, SyncItem>()
  for (const signed of asks) items.set(signed.ask.provider, { ask: { body: signed, size: orderJsonSize(encodeMessage({ type: 'ask', body: signed })) } })
  items.get(cancel.cancel.provider)!.cancel = { body: cancel, size: orderJsonSize(encodeMessage({ type: 'ask-cancel', body: cancel })) }
  const keys = [...items.keys()].sort()
  const source = { keys: () => keys, item: (_: unknown, key: string) => items.get(key) }
  const seen: string[] = []
  let cursor: string | undefined
  let pages = 0
  do {
    const page = buildSyncPage(source, 'asks', cursor, 64)
    assert.ok(encodeMessage({ type: 'sync-response', body: page }).length <= MAX_MESSAGE_BYTES)
    assert.ok(page.asks.length > 0)
    seen.push(...page.asks.map((signed) => signed.ask.provider))
    if (page.asks.some((signed) => signed.ask.provider === cancel.cancel.provider)) assert.equal(page.cancels, [cancel])
    cursor = page.next
    pages++
  } while (cursor !== undefined)
  assert.ok(pages > 1, 'twelve asks should not fit one page')
  assert.equal(seen, keys)
  assert.equal(buildSyncPage(source, 'asks', undefined, 2).asks.length, 2)
  assert.equal(buildSyncPage(source, 'asks', keys.at(-1), 64), { asks: [], bids: [], cancels: [] })
})

test.run()
