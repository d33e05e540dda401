import { fork, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Registry } from 'prom-client'
import type { Address, Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { askCancelTypedData } from '../../protocol/eip712/askCancelTypedData.ts'
import { askTypedData } from '../../protocol/eip712/askTypedData.ts'
import { bidTypedData } from '../../protocol/eip712/bidTypedData.ts'
import { marketTopics } from '../../protocol/topics.ts'
import type { Ask, SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { Bid, SignedBid } from '../../protocol/types/bid.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import { createStaticBacking, type Backing } from '../../node/orderbook/backing.ts'
import { createOrderBook, type OrderBook, type OrderBookInit } from '../../node/orderbook/orderBook.ts'
import { createHost, type P2PHost } from '../../node/p2p/createHost.ts'
import { loadPeerKey } from '../../node/p2p/identity.ts'
import { openStore, type Store } from '../../node/store/openStore.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')

/** The market every order book test serves (no chain behind it: backing is a table). */
export const testMarket: MarketParameters = { chainId: 31337, market: '0x5fbdb2315678afecb367f032d93f642f64180aa3' }
export const testTopics = marketTopics(testMarket)

/** Test keys: providers and clients, none of them anvil's (so no test mistakes one for a funded dev account). */
export const testKeys: Hex[] = Array.from({ length: 16 }, (_, index) => `0x${(index + 1).toString(16).padStart(64, '0').replace(/^0/, 'a')}` as Hex)
export const testAddress = (key: Hex) => privateKeyToAccount(key).address.toLowerCase() as Address

export const nowSec = () => Math.floor(Date.now() / 1000)

/** An ask of `key`'s provider, valid for ten minutes, CPU and one GPU model. */
export function makeTestAsk(key: Hex, overrides: Partial<Ask> = {}): Ask {
  const now = nowSec()
  const gpus = [{ model: 'nvidia-h100-80gb', vramMiB: 81_559, count: 2 }]
  return {
    provider: testAddress(key),
    peerId: '12D3KooWGzh4ds3Kq1o6cXQk9nS5k8Yx3bQ3a1Pf6bXj4h2kLmNo',
    capacity: { cpuMillicores: 16_000, memoryMiB: 65_536, diskMiB: 500_000, gpus },
    free: { cpuMillicores: 16_000, memoryMiB: 65_536, diskMiB: 500_000, gpus },
    runtimes: ['wasm', 'process'],
    prices: { cpu: 5_555_556n, memory: 833_333n, gpus: [{ model: 'nvidia-h100-80gb', price: 555_555_556n }] },
    minDuration: 60,
    maxDuration: 86_400,
    collateralBps: 15_000,
    createdAt: now - 5,
    expiry: now + 600,
    sequence: 1,
    cancelNonce: 0,
    ...overrides,
  }
}

export async function signAsk(key: Hex, ask: Ask, market: MarketParameters = testMarket): Promise<SignedAsk> {
  const signature = await privateKeyToAccount(key).signTypedData(askTypedData(ask, market))
  return { chainId: market.chainId, market: market.market, ask, signature }
}

export async function signTestAsk(key: Hex, overrides: Partial<Ask> = {}, market: MarketParameters = testMarket): Promise<SignedAsk> {
  return signAsk(key, makeTestAsk(key, overrides), market)
}

export async function signTestBid(key: Hex, overrides: Partial<Bid> = {}, market: MarketParameters = testMarket): Promise<SignedBid> {
  const bid: Bid = {
    client: testAddress(key),
    requirements: { cpuMillicores: 2_000, memoryMiB: 4_096, diskMiB: 1_024, gpus: [], runtime: 'wasm' },
    duration: 600,
    maxPrice: 10n ** 12n,
    jobHash: `0x${'11'.repeat(32)}`,
    expiry: nowSec() + 600,
    nonce: 1,
    ...overrides,
  }
  const signature = await privateKeyToAccount(key).signTypedData(bidTypedData(bid, market))
  return { chainId: market.chainId, market: market.market, bid, signature }
}

export async function signTestCancel(key: Hex, cancelNonce: number, market: MarketParameters = testMarket): Promise<SignedAskCancel> {
  const cancel = { provider: testAddress(key), cancelNonce }
  const signature = await privateKeyToAccount(key).signTypedData(askCancelTypedData(cancel, market))
  return { chainId: market.chainId, market: market.market, cancel, signature }
}

/** One in-process node: host, store and order book over a home folder. */
export type OrderBookNode = {
  home: string
  host: P2PHost
  store: Store
  book: OrderBook
  /** The node's metrics (every test node records them, so every test runs the recording code). */
  registry: Registry
  address: string
  stop: () => Promise<void>
}

export type StartOrderBookNodeParameters = {
  home: string
  backing: Backing
  bootstrap?: string[]
  init?: OrderBookInit
}

/** Starts a host (identity from `home`), opens its store and starts an order book on it. */
export async function startOrderBookNode({ home, backing, bootstrap = [], init }: StartOrderBookNodeParameters): Promise<OrderBookNode> {
  const host = await createHost({
    privateKey: await loadPeerKey(home),
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap,
    scoredTopics: [testTopics.asks, testTopics.bids],
  })
  await host.start()
  const store = await openStore(home)
  const registry = new Registry()
  const book = createOrderBook({ host, store, deployment: testMarket, backing, registry }, { autoSync: false, advertise: false, ...init })
  await book.start()
  return {
    home,
    host,
    store,
    book,
    registry,
    address: host.getMultiaddrs()[0]!.toString(),
    stop: async () => {
      await book.stop()
      await host.stop()
      await store.close()
    },
  }
}

export type OrderBookNetwork = { root: string; nodes: OrderBookNode[]; add: (init?: OrderBookInit) => Promise<OrderBookNode>; stop: () => Promise<void> }

/**
 * Starts `size` in-process nodes on loopback, each dialling every earlier one,
 * and waits until each sees the others subscribed to both market topics.
 */
export async function startOrderBookNetwork({ size, backing, init }: { size: number; backing: Backing; init?: OrderBookInit }): Promise<OrderBookNetwork> {
  const folder = await mkdtemp(join(tmpdir(), 'allot-book-'))
  const nodes: OrderBookNode[] = []
  const add = async (nodeInit: OrderBookInit | undefined = init) => {
    const node = await startOrderBookNode({ home: join(folder, `node-${nodes.length}`), backing, init: nodeInit })
    await Promise.all(nodes.map((other) => node.host.dial(other.host.getMultiaddrs()[0]!)))
    nodes.push(node)
    return node
  }
  for (let index = 0; index < size; index++) await add()
  await waitForSubscribers(nodes, nodes.length - 1)
  return {
    root: folder,
    nodes,
    add,
    stop: async () => {
      await Promise.allSettled(nodes.map((node) => node.stop()))
      await rm(folder, { recursive: true, force: true })
    },
  }
}

/**
 * Dials `to` from `from` and waits until each sees the other subscribed to the
 * market topics: only then do both gossip streams exist, and a message published
 * either way arrives (gossipsub drops what it cannot send yet).
 */
export async function connectBooks(from: { host: P2PHost }, to: { host: P2PHost }): Promise<void> {
  await from.host.dial(to.host.getMultiaddrs()[0]!)
  const sees = (a: P2PHost, b: P2PHost) => a.services.pubsub.getSubscribers(testTopics.asks).some((peer) => peer.equals(b.peerId))
  await waitFor(() => sees(from.host, to.host) && sees(to.host, from.host), { what: 'mutual subscriptions' })
}

/** Waits until every host sees at least `count` peers subscribed to the asks and bids topics. */
export async function waitForSubscribers(nodes: Array<{ host: P2PHost }>, count: number, timeoutMs = 10_000): Promise<void> {
  await waitFor(
    () =>
      nodes.every(
        ({ host }) =>
          host.services.pubsub.getSubscribers(testTopics.asks).length >= count &&
          host.services.pubsub.getSubscribers(testTopics.bids).length >= count,
      ),
    { timeoutMs, what: `${count} subscribers on every node` },
  )
}

/** Polls `condition` every 20 ms until it holds. */
export async function waitFor(condition: () => boolean | Promise<boolean>, { timeoutMs = 10_000, what = 'condition' } = {}): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** A static backing in which every test key can back plenty, ranked by key order. */
export function backAllTestKeys(): ReturnType<typeof createStaticBacking> {
  return createStaticBacking(Object.fromEntries(testKeys.map((key, index) => [testAddress(key), 10n ** 18n * BigInt(index + 1)])))
}

/** A node in its own OS process, driven over IPC (see `orderbookNode.ts`). */
export type ProcessNode = {
  child: ChildProcess
  peerId: string
  address: string
  call: <T = unknown>(command: string, argument?: unknown) => Promise<T>
  stop: () => Promise<void>
}

/**
 * Starts a node as a child process: `node --require <polyfill> --import tsx test/helpers/orderbookNode.ts`.
 *
 * @param parameters - Its home, bootstrap addresses and the providers it deems backed.
 * @returns The node, once it listens.
 */
export async function startProcessNode({ home, bootstrap = [], backed }: { home: string; bootstrap?: string[]; backed: Record<string, string> }): Promise<ProcessNode> {
  const child = fork(join(root, 'test/helpers/orderbookNode.ts'), [], {
    execArgv: ['--require', join(root, 'node/polyfill/promise-with-resolvers.cjs'), '--import', 'tsx'],
    env: { ...process.env, ALLOT_TEST_NODE: JSON.stringify({ home, bootstrap, backed, market: testMarket }) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    cwd: root,
  })
  let next = 0
  const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>()
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`node process exited with ${code}`))))
  exited.catch(() => {})
  child.on('message', (message: any) => {
    const waiter = pending.get(message.id)
    if (!waiter) return
    pending.delete(message.id)
    if (message.error) waiter.reject(new Error(message.error))
    else waiter.resolve(message.result)
  })
  const call = <T,>(command: string, argument?: unknown) =>
    Promise.race([
      new Promise<T>((resolve, reject) => {
        const id = next++
        pending.set(id, { resolve, reject })
        child.send({ id, command, argument })
      }),
      exited,
    ])
  const ready = await call<{ peerId: string; address: string }>('ready')
  return {
    child,
    ...ready,
    call,
    stop: async () => {
      if (child.exitCode !== null) return
      const gone = new Promise((resolve) => child.once('exit', resolve))
      await call('stop').catch(() => {})
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await gone
      clearTimeout(timer)
    },
  }
}
