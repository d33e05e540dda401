import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnits, type Address } from 'viem'
import { depositCollateral } from '../../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../../node/chain/actions/ensureAllowance.ts'
import { getMaxDealCollateral } from '../../../node/chain/actions/readMarket.ts'
import { devPrivateKeys, type ChainClients } from '../../../node/chain/clients.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { createChainBacking, createStaticBacking } from '../../../node/orderbook/backing.ts'
import { createOrderBook, type OrderBook } from '../../../node/orderbook/orderBook.ts'
import { createHost, type P2PHost } from '../../../node/p2p/createHost.ts'
import { loadPeerKey } from '../../../node/p2p/identity.ts'
import { openStore, type Store } from '../../../node/store/openStore.ts'
import { marketTopics } from '../../../protocol/topics.ts'
import { signTestAsk, waitFor } from '../../helpers/orderbookNetwork.ts'

let market: DevMarket
let funded: ChainClients
let unfunded: ChainClients
let folder: string
const cleanup: Array<() => Promise<void>> = []

test.before(async () => {
  market = await startDevMarket()
  ;[, funded, unfunded] = market.accounts as [ChainClients, ChainClients, ChainClients]
  await ensureAllowance(funded, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(funded, { deployment: market.deployment, amount: parseUnits('10', 18) })
  folder = await mkdtemp(join(tmpdir(), 'allot-backing-'))
})

test.after(async () => {
  for (const step of cleanup.reverse()) await step().catch(() => {})
  await market?.stop()
  await rm(folder, { recursive: true, force: true })
})

const address = (clients: ChainClients) => clients.wallet.account.address

test('chain backing reads maxDealCollateral, caches it until invalidated, and applies the minimum', async () => {
  const { deployment } = market
  const backing = createChainBacking(market.accounts[0]!, deployment, { ttlMs: 60_000 })
  const before = await getMaxDealCollateral(funded, { deployment, provider: address(funded) })
  assert.ok(before > 0n)
  const [available, none, backed, unbacked] = await Promise.all([
    backing.available!(address(funded)),
    backing.available!(address(unfunded)),
    backing.canBack(address(funded), 0n),
    backing.canBack(address(unfunded), 0n),
  ])
  assert.equal([available, none, backed, unbacked], [before, 0n, true, false])
  assert.is(await backing.canBack(address(funded), before + 1n), false)

  await depositCollateral(funded, { deployment, amount: parseUnits('10', 18) })
  assert.is(await backing.available!(address(funded)), before, 'a cached read was not reused')
  backing.invalidate(address(funded))
  assert.ok((await backing.available!(address(funded))) > before)

  const strict = createChainBacking(market.accounts[0]!, deployment, { minDealCollateral: 10n ** 30n })
  assert.is(await strict.canBack(address(funded), 0n), false)
})

async function startNode(name: string, backing: Parameters<typeof createOrderBook>[0]['backing']) {
  const topics = marketTopics(market.deployment)
  const host: P2PHost = await createHost({ privateKey: await loadPeerKey(join(folder, name)), listen: ['/ip4/127.0.0.1/tcp/0'], scoredTopics: [topics.asks, topics.bids] })
  await host.start()
  const store: Store = await openStore(join(folder, name))
  const book: OrderBook = createOrderBook({ host, store, deployment: market.deployment, backing }, { autoSync: false, advertise: false })
  await book.start()
  cleanup.push(async () => {
    await book.stop()
    await host.stop()
    await store.close()
  })
  return { host, book }
}

test('a book on the chain keeps the funded provider’s ask and refuses the unfunded one as unbacked', async () => {
  const anyone = createStaticBacking(Object.fromEntries([funded, unfunded].map((clients) => [address(clients), 1n])))
  const publisher = await startNode('publisher', anyone)
  const checker = await startNode('checker', createChainBacking(market.accounts[0]!, market.deployment))
  await checker.host.dial(publisher.host.getMultiaddrs()[0]!)
  const sees = (a: P2PHost, b: P2PHost) => a.services.pubsub.getSubscribers(marketTopics(market.deployment).asks).some((peer) => peer.equals(b.peerId))
  await waitFor(() => sees(publisher.host, checker.host) && sees(checker.host, publisher.host), { what: 'mutual subscriptions' })
  const marketParameters = { chainId: market.deployment.chainId, market: market.deployment.market }
  const good = await signTestAsk(devPrivateKeys[1], {}, marketParameters)
  const bad = await signTestAsk(devPrivateKeys[2], {}, marketParameters)
  await publisher.book.publishAsk(good)
  await publisher.book.publishAsk(bad)
  await waitFor(() => checker.book.stats().rejected.unbacked === 1 && checker.book.asks().length === 1, { what: 'admission' })
  assert.is(checker.book.asks()[0]!.ask.provider, address(funded).toLowerCase() as Address)
})

test.run()
