import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { hashAsk } from '../../../protocol/eip712/hashAsk.ts'
import { matchBid } from '../../../protocol/matching/matchBid.ts'
import type { AskEntry } from '../../../protocol/types/ask.ts'
import { createBookMatcher } from '../../../node/client/bookMatcher.ts'
import { makeAsk, makeBid, market, NOW } from '../../protocol/fixtures.ts'

const entry = (overrides: Parameters<typeof makeAsk>[0]): AskEntry => {
  const ask = makeAsk(overrides)
  return { ask, hash: hashAsk(ask, market) }
}

test('the matcher follows the book as asks arrive, are replaced and leave, and answers as matchBid does', () => {
  let book: AskEntry[] = []
  const matcher = createBookMatcher({ asks: () => book })
  const bid = makeBid()
  const same = () => {
    const expected = matchBid(bid, book, { now: NOW, canBack: () => true })
    const actual = matcher.match(bid, { now: NOW, limit: 16 })
    assert.equal(actual.match, expected.match)
    assert.equal(actual.candidates, expected.candidates.slice(0, 16))
    assert.equal(actual.rejected, expected.rejected)
    assert.is(actual.considered, expected.considered)
  }
  same()
  book = [entry({ sequence: 1 }), entry({ sequence: 2, prices: { cpu: 4_000_000n, memory: 800_000n, gpus: [] } }), entry({ sequence: 3, expiry: NOW - 1 })]
  same()
  book = [book[1]!, entry({ sequence: 4, prices: { cpu: 3_000_000n, memory: 700_000n, gpus: [] } })]
  same()
  assert.is(matcher.match(bid, { now: NOW }).match?.hash, book[1]!.hash)
  book = []
  same()
})

test.run()
