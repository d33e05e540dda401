import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import type { MarketEvent } from '../../../node/chain/events/types.ts'
import { createDealBook, type StoredDeal } from '../../../node/keeper/createDealBook.ts'
import { estimateProfit, isLostRace, positionLiquidationAmount } from '../../../node/keeper/index.ts'
import { ContractRevertError } from '../../../node/chain/errors.ts'
import { openStore } from '../../../node/store/openStore.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'

const WAD = 10n ** 18n
const position = { obligations: 120n, coverage: 20n }

test('the close factor: half of the uncovered obligations, all of them below HF 0.95, none when healthy, capped by the balance', () => {
  assert.is(positionLiquidationAmount({ position, healthFactor: (WAD * 97n) / 100n, balance: 1_000n }), 50n)
  assert.is(positionLiquidationAmount({ position: { obligations: 121n, coverage: 20n }, healthFactor: (WAD * 97n) / 100n, balance: 1_000n }), 50n, 'rounded down')
  assert.is(positionLiquidationAmount({ position, healthFactor: (WAD * 95n) / 100n, balance: 1_000n }), 50n, '0.95 itself is not below 0.95')
  assert.is(positionLiquidationAmount({ position, healthFactor: (WAD * 95n) / 100n - 1n, balance: 1_000n }), 100n)
  assert.is(positionLiquidationAmount({ position, healthFactor: WAD, balance: 1_000n }), 0n)
  assert.is(positionLiquidationAmount({ position, healthFactor: WAD / 2n, balance: 30n }), 30n)
  assert.is(positionLiquidationAmount({ position: { obligations: 10n, coverage: 10n }, healthFactor: WAD / 2n, balance: 30n }), 0n)
})

test('profit is the bonus less gas at the operator’s native price; no price leaves gas out', () => {
  assert.equal(estimateProfit({ bonus: 1_000_000n, gasLimit: 120_000n, gasPrice: 10n ** 9n, nativePrice: 3_000_000_000n }), { bonus: 1_000_000n, gasCost: 360_000n, profit: 640_000n })
  assert.equal(estimateProfit({ bonus: 5n, gasLimit: 120_000n, gasPrice: 10n ** 9n, nativePrice: 0n }), { bonus: 5n, gasCost: 0n, profit: 5n })
})

test('lost races are named by the market’s errors', () => {
  const revert = (errorName: string) => new ContractRevertError({ functionName: 'liquidateDeal', errorName, args: [] })
  assert.ok(isLostRace(revert('DealNotLiquidatable')))
  assert.ok(isLostRace(revert('PositionHealthy')))
  assert.not.ok(isLostRace(revert('StalePrice')))
  assert.not.ok(isLostRace(new Error('DealNotLiquidatable')))
})

const terms: DealTerms = {
  client: '0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC',
  provider: '0x70997970C51812dc3A010C7d01b50e0d17dc79C8',
  price: 10_000_000n,
  collateral: 20_000_000n,
  jobHash: `0x${'ab'.repeat(32)}`,
  deadline: 1_800_000_000n,
  expiry: 1_799_999_000n,
  salt: 7n,
}
const dealId: Hex = `0x${'01'.repeat(32)}`
let logIndex = 0
const event = (eventName: string, args: Record<string, unknown>, blockNumber = 10n) => ({ eventName, args, blockNumber, logIndex: logIndex++ }) as unknown as MarketEvent

test('the deal book follows a deal through a lost dispute, survives a reopen, and applying events twice changes nothing', async () => {
  const home = await mkdtemp(join(tmpdir(), 'allot-dealbook-'))
  try {
    let store = await openStore(home)
    let book = createDealBook(store.sublevel<StoredDeal>('deals'))
    const history = [
      event('DealOpened', { dealId, client: terms.client, provider: terms.provider, terms }),
      event('ResultCommitted', { dealId, resultHash: `0x${'00'.repeat(32)}` }, 11n),
      event('DealDisputed', { dealId, client: terms.client, bond: 1n }, 12n),
      event('DisputeResolved', { dealId, providerAtFault: true, bond: 1n }, 13n),
    ]
    const changes = await book.apply(history)
    assert.equal(
      changes.map((c) => (c.type === 'phase' ? c.deal.phase : c.type)),
      ['opened', 'committed', 'disputed', 'defaulted'],
    )
    await book.apply(history)
    assert.is(book.size, 1)
    assert.is(book.get(dealId)?.phase, 'defaulted', 'a replayed range ends where it ended')

    await store.close()
    store = await openStore(home)
    book = createDealBook(store.sublevel<StoredDeal>('deals'))
    await book.load()
    assert.equal(book.get(dealId), { dealId, terms, phase: 'defaulted', openedAtBlock: 10n }, 'terms come back with their bigints')
    assert.equal([...book.providers()], [terms.provider])

    const removed = await book.apply([event('DealLiquidated', { dealId, keeper: terms.client, refund: 1n, compensation: 1n, keeperBonus: 0n, insuranceShare: 0n, deferred: 0n }, 14n)])
    assert.is(removed[0]?.type, 'removed')
    assert.is(book.size, 0)
    await book.load()
    assert.is(book.size, 0, 'removed from the store too')
    await store.close()
  } finally {
    await rm(home, { recursive: true, force: true })
  }
})

test.run()
