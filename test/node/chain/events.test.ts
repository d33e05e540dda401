import { createServer } from 'node:http'
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256, parseUnits, toHex } from 'viem'
import { mockPriceFeedAbi } from '../../../contracts/abi/index.ts'
import { commitResult } from '../../../node/chain/actions/commitResult.ts'
import { depositCollateral } from '../../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../../node/chain/actions/ensureAllowance.ts'
import { openDeal } from '../../../node/chain/actions/openDeal.ts'
import { createChainClients, type ChainClients } from '../../../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { createEventFollower, type EventFollower } from '../../../node/chain/events/createEventFollower.ts'
import { levelCursorStore, memoryCursorStore, type StoredCursor } from '../../../node/chain/events/cursorStore.ts'
import type { BlockRange, MarketEvent, PriceRound } from '../../../node/chain/events/types.ts'
import { openStore } from '../../../node/store/openStore.ts'
import { signedTerms } from '../../helpers/deals.ts'

let market: DevMarket
let owner: ChainClients, provider: ChainClients, client: ChainClients
let home: string
/** Every follower a test starts, stopped in `after` too, so that a failed test cannot leave one polling. */
const followers: EventFollower[] = []
const follow = (...args: Parameters<typeof createEventFollower>) => {
  const follower = createEventFollower(...args)
  followers.push(follower)
  return follower
}

const waitFor = async (condition: () => boolean, what: string, timeout = 10_000) => {
  const until = Date.now() + timeout
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A JSON-RPC pass-through that can be closed (connection refused) and opened again on the same port. */
async function startProxy(target: string, port = 0) {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = []
    for await (const chunk of request) chunks.push(chunk as Buffer)
    try {
      const upstream = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) })
      response.writeHead(upstream.status, { 'content-type': 'application/json' })
      response.end(await upstream.text())
    } catch {
      response.destroy()
    }
  })
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  const bound = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

async function openOneDeal() {
  const { terms, signature } = await signedTerms(market.deployment, provider, client)
  const { dealId } = await openDeal(client, { deployment: market.deployment, terms, providerSignature: signature })
  return { terms, dealId }
}

test.before(async () => {
  market = await startDevMarket()
  ;[owner, provider, client] = market.accounts as [ChainClients, ChainClients, ChainClients]
  const { deployment } = market
  for (const clients of [provider, client]) {
    await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount: 1n })
    await ensureAllowance(clients, { token: deployment.collateralToken, spender: deployment.market, amount: 1n })
  }
  home = await mkdtemp(join(tmpdir(), 'allot-events-'))
})

test.after(async () => {
  await Promise.all(followers.map((follower) => follower.stop()))
  await market?.stop()
  if (home) await rm(home, { recursive: true, force: true })
})

test('hands over every market event once, in order; a restarted follower resumes after its stored cursor', async () => {
  const { deployment } = market
  const store = await openStore(home)
  const cursors = levelCursorStore(store.sublevel<StoredCursor>('cursors'), 'events-test')
  const seen: MarketEvent[] = []
  const prices: PriceRound[] = []
  const first = follow(owner, { deployment, cursor: cursors, pollingInterval: 50, onEvents: (events) => void seen.push(...events), onPrice: (round) => void prices.push(round) })
  await first.start()

  await depositCollateral(provider, { deployment, amount: parseUnits('100', 18) })
  const { terms, dealId } = await openOneDeal()
  await waitFor(() => seen.some((e) => e.eventName === 'DealOpened'), 'DealOpened')
  await first.stop()
  assert.not.ok(first.status().running)

  const names = seen.map((e) => e.eventName)
  assert.ok(names.indexOf('MarketConfigured') < names.indexOf('CollateralDeposited'), 'constructor events come first')
  assert.ok(names.indexOf('CollateralDeposited') < names.indexOf('DealOpened'), 'chain order')
  const opened = seen.find((e) => e.eventName === 'DealOpened')
  assert.ok(opened?.eventName === 'DealOpened' && opened.args.dealId === dealId && opened.args.terms.salt === terms.salt, 'full terms decoded')
  const saved = await cursors.load()
  assert.equal(saved, first.status().cursor)
  assert.ok(saved?.hash, 'the cursor keeps its block hash')
  assert.is(prices[0]?.answer, 2n * 10n ** 8n, 'the price round at start is handed over')

  // While nobody follows: a result is committed and the price moves.
  await commitResult(provider, { deployment, dealId, resultHash: keccak256(toHex('result')) })
  const hash = await owner.wallet.writeContract({ address: deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [150_000_000n] } as never)
  await owner.public.waitForTransactionReceipt({ hash })

  const seenAgain: MarketEvent[] = []
  const ranges: BlockRange[] = []
  const pricesAgain: PriceRound[] = []
  const second = follow(owner, {
    deployment,
    cursor: cursors,
    pollingInterval: 50,
    onEvents: (events, range) => void (seenAgain.push(...events), ranges.push(range)),
    onPrice: (round) => void pricesAgain.push(round),
  })
  await second.start()
  await waitFor(() => seenAgain.some((e) => e.eventName === 'ResultCommitted'), 'ResultCommitted')
  await waitFor(() => pricesAgain.length > 0, 'a price round')
  await second.stop()
  await store.close()

  assert.is(ranges[0]?.fromBlock, saved!.block + 1n, 'resumed right after the cursor')
  assert.equal(
    seenAgain.map((e) => e.eventName),
    ['ResultCommitted'],
    'nothing handed over twice',
  )
  const keys = [...seen, ...seenAgain].map((e) => `${e.blockNumber}:${e.logIndex}`)
  assert.is(new Set(keys).size, keys.length)
  assert.is(pricesAgain.at(-1)?.answer, 150_000_000n)
})

test('a dead endpoint is reported as ChainUnreachableError with back-off; the follower catches up when it answers again and stops on abort', async () => {
  const { deployment } = market
  let proxy = await startProxy(market.anvil.rpcUrl)
  const clients = createChainClients({ rpcUrl: proxy.url, account: owner.wallet.account })
  const controller = new AbortController()
  const errors: Error[] = []
  const seen: MarketEvent[] = []
  const follower = follow(clients, {
    deployment,
    pollingInterval: 50,
    retryDelay: 50,
    maxRetryDelay: 200,
    onEvents: (events) => void seen.push(...events),
    onError: (error) => void errors.push(error),
    signal: controller.signal,
  })
  await follower.start()
  try {
    await waitFor(() => follower.status().head !== undefined, 'a first head')

    await proxy.close()
    const { dealId } = await openOneDeal()
    await waitFor(() => errors.length >= 3, 'three failures')
    // A price read cut off mid-way is a PriceFeedReadError whose cause names the dead endpoint.
    const unreachable = (e: Error) => e.name === 'ChainUnreachableError' || (e.cause instanceof Error && e.cause.name === 'ChainUnreachableError')
    assert.ok(errors.every(unreachable), errors.map((e) => `${e.name}: ${e.message}`).join('\n'))
    assert.not.match(errors[0]!.message, /fetch failed/, 'a message for people, not the transport')
    assert.ok(follower.status().running, 'still running')
    assert.not.ok(seen.some((e) => e.eventName === 'DealOpened' && e.args.dealId === dealId))

    proxy = await startProxy(market.anvil.rpcUrl, proxy.port)
    await waitFor(() => seen.some((e) => e.eventName === 'DealOpened' && e.args.dealId === dealId), 'the deal opened during the outage')
    assert.is(seen.filter((e) => e.eventName === 'DealOpened' && e.args.dealId === dealId).length, 1)
    await waitFor(() => follower.status().consecutiveErrors === 0, 'recovery')

    controller.abort()
    let timer: NodeJS.Timeout | undefined
    const stopped = await Promise.race([follower.done.then(() => true), new Promise((resolve) => (timer = setTimeout(() => resolve(false), 2_000)))])
    clearTimeout(timer)
    assert.ok(stopped, 'the loop ended on abort')
    assert.not.ok(follower.status().running)
  } finally {
    await follower.stop()
    await proxy.close()
  }
})

test('an endpoint that never answers: errors are spaced by the back-off and stop() returns promptly', async () => {
  const clients = createChainClients({ rpcUrl: 'http://127.0.0.1:1', account: owner.wallet.account })
  const errors: Error[] = []
  const follower = follow(clients, { deployment: market.deployment, retryDelay: 50, maxRetryDelay: 200, onError: (error) => void errors.push(error) })
  await follower.start()
  await new Promise((resolve) => setTimeout(resolve, 900))
  const started = Date.now()
  await follower.stop()
  assert.ok(Date.now() - started < 1_000, 'stop() did not wait for the back-off')
  assert.ok(errors.length >= 2 && errors.length <= 10, `${errors.length} errors in 900 ms`)
  assert.ok(errors.every((e) => e.name === 'ChainUnreachableError'))
})

test('reads logs in contiguous ranges of at most batchSize blocks', async () => {
  const ranges: BlockRange[] = []
  const follower = follow(owner, { deployment: market.deployment, batchSize: 4, pollingInterval: 50, onEvents: (_events, range) => void ranges.push(range) })
  const head = await owner.public.getBlockNumber()
  await follower.start()
  await waitFor(() => (follower.status().cursor?.block ?? -1n) >= head, 'catching up')
  await follower.stop()
  assert.is(ranges[0]?.fromBlock, BigInt(market.deployment.deploymentBlock))
  for (const [index, range] of ranges.entries()) {
    assert.ok(range.toBlock - range.fromBlock < 4n, `range ${range.fromBlock}–${range.toBlock}`)
    if (index > 0) assert.is(range.fromBlock, ranges[index - 1]!.toBlock + 1n)
  }
})

test('a cursor the chain does not have (a restarted dev chain) is noticed: onReset, then from the first block', async () => {
  const resets: Error[] = []
  const ranges: BlockRange[] = []
  const follower = follow(owner, {
    deployment: market.deployment,
    cursor: memoryCursorStore({ block: 1_000_000n, hash: `0x${'11'.repeat(32)}` }),
    pollingInterval: 50,
    onReset: (error) => void resets.push(error),
    onEvents: (_events, range) => void ranges.push(range),
  })
  await follower.start()
  await waitFor(() => ranges.length > 0, 'a range')
  await follower.stop()
  assert.is(resets[0]?.name, 'CursorMismatchError')
  assert.is(ranges[0]?.fromBlock, BigInt(market.deployment.deploymentBlock))
})

test.run()
