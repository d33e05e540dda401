import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { OrderBookInit } from '../../../node/orderbook/orderBook.ts'
import {
  backAllTestKeys,
  connectBooks,
  signTestAsk,
  startOrderBookNode,
  testKeys,
  waitFor,
  type OrderBookNode,
} from '../../helpers/orderbookNetwork.ts'

// A server holding sixteen asks (several pages) under a given sync rate, and a fresh client per case.
let folder: string
const running: OrderBookNode[] = []
const backing = backAllTestKeys()

test.before(async () => {
  folder = await mkdtemp(join(tmpdir(), 'allot-sync-'))
})
test.after(async () => {
  await Promise.allSettled(running.map((node) => node.stop()))
  await rm(folder, { recursive: true, force: true })
})

async function start(name: string, init?: OrderBookInit) {
  const node = await startOrderBookNode({ home: join(folder, name), backing, init })
  running.push(node)
  return node
}

async function server(name: string, init: OrderBookInit) {
  const node = await start(name, init)
  for (const key of testKeys) await node.book.publishAsk(await signTestAsk(key))
  return node
}

test('sync pages through a full book and is slowed down to the server’s page rate', async () => {
  const slow = await server('slow-server', { syncRate: { perSec: 2, burst: 1 } })
  const client = await start('slow-client')
  await connectBooks(client, slow)
  const started = Date.now()
  const added = await client.book.sync({ peers: [slow.host.peerId] })
  const elapsed = Date.now() - started
  assert.is(added.asks, 16)
  // Sixteen ~900-byte asks take two pages (8 KiB each at most), the bids book one more: two waits of 500 ms.
  assert.ok(elapsed >= 950, `sync took only ${elapsed} ms`)
})

test('a peer that pages faster than the server allows is cut off, and its sync fails', async () => {
  const strict = await server('strict-server', { syncRate: { perSec: 0.2, burst: 1 } })
  const client = await start('strict-client')
  await connectBooks(client, strict)
  try {
    await client.book.sync({ peers: [strict.host.peerId] })
    assert.unreachable('a sync past the rate limit completed')
  } catch (error) {
    assert.instance(error, Error)
  }
  // The first page got through, and what it held was admitted like any other order.
  await waitFor(() => client.book.asks().length > 0, { what: 'the first page' })
  assert.ok(client.book.asks().length < 16)
})

test.run()
