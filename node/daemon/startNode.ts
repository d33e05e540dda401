import { peerIdFromString } from '@libp2p/peer-id'
import { multiaddr } from '@multiformats/multiaddr'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { PrivateKeyAccount } from 'viem/accounts'
import type { Registry } from 'prom-client'
import { marketTopics } from '../../protocol/topics.ts'
import type { UnitPrices } from '../../protocol/types/ask.ts'
import { createChainClients, type ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { watchChain, type ChainChange, type ChainWatch } from '../chain/watchChain.ts'
import { createBookMatcher, type BookMatcher } from '../client/bookMatcher.ts'
import { instrumentMatcher } from '../client/metrics.ts'
import { createMetricsRegistry } from '../metrics/createMetricsRegistry.ts'
import { serveJobs, type JobServer } from '../client/serveJobs.ts'
import { logger } from '../log/logger.ts'
import { createChainBacking } from '../orderbook/backing.ts'
import { createOrderBook, type OrderBook } from '../orderbook/orderBook.ts'
import { createHost, type P2PHost } from '../p2p/createHost.ts'
import { loadPeerKey } from '../p2p/identity.ts'
import { createProvider, type Provider } from '../provider/createProvider.ts'
import type { ProviderInit } from '../provider/context.ts'
import { CapacityLedger, type Capacity } from '../runtime/resources/capacityLedger.ts'
import { createRuntimes, type Runtimes, type RuntimesInit } from '../runtime/createRuntimes.ts'
import { openStore, type Store } from '../store/openStore.ts'

const log = logger('node')

export type StartNodeParameters = {
  home: string
  rpcUrl: string
  deployment: Deployment
  account: PrivateKeyAccount
  listen: string[]
  bootstrap: string[]
  announce?: string[]
  /** Sell capacity: present for `provider start`. */
  provider?: {
    capacity: Capacity
    prices: UnitPrices
    /** Exactly the runtimes to sell and their options; each is built and checked by createRuntimes, or the start fails. */
    runtimes: Omit<RuntimesInit, 'workRoot'>
  } & Partial<Omit<ProviderInit, 'home' | 'prices'>>
  /** Told when the chain goes down, changes under the node, or comes back (the provider pauses and resumes by itself). */
  onChainChange?: (change: ChainChange) => void
  /** Milliseconds between chain checks (see watchChain). */
  chainWatchIntervalMs?: number
  /** Wait until at least one bootstrap peer is connected, then pull the book from it. */
  syncOnStart?: boolean
  signal?: AbortSignal
}

/** What `node.json` in the home says about a running node, so others can bootstrap from it. */
export type NodeInfo = { peerId: string; addresses: string[]; address: string; market: string; pid: number; startedAt: string }

export type AllotNode = {
  host: P2PHost
  store: Store
  clients: ChainClients
  /** The node's one metrics registry; `--metrics` serves it. */
  registry: Registry
  deployment: Deployment
  orderBook: OrderBook
  /** The book as a client matches against it, through a columnar index. */
  book: BookMatcher
  jobs: JobServer
  provider?: Provider
  /** Whether the deployment's chain is as the node knew it. */
  chain: ChainWatch
  /** The provider's started runtimes: exactly those its ask carries. */
  runtimes?: Runtimes
  info: NodeInfo
  stop: () => Promise<void>
}

/**
 * The one place that wires a node's services together: libp2p host, store,
 * chain clients, order book, the job server every client needs and, for a
 * provider, its runtimes and the provider service. Writes `<home>/node.json`.
 */
export async function startNode(parameters: StartNodeParameters): Promise<AllotNode> {
  const { home, rpcUrl, deployment, account, listen, bootstrap, announce, signal } = parameters
  const registry = createMetricsRegistry()
  const clients = createChainClients({ rpcUrl, account, chainId: deployment.chainId, registry })
  const store = await openStore(home)
  const host = await createHost({ privateKey: await loadPeerKey(home), listen, bootstrap, announce, scoredTopics: Object.values(marketTopics(deployment)) })
  const stops: (() => unknown)[] = [() => store.close(), () => host.stop()]
  const stop = async () => {
    for (const step of stops.splice(0).reverse()) await Promise.resolve(step()).catch((error) => log.error('stopping: %O', error))
  }
  try {
    await host.start()
    // Known addresses first: a dial by peer id to a bootstrap peer then works at once,
    // without waiting for discovery to add them.
    for (const address of bootstrap) {
      const parsed = multiaddr(address)
      const peer = parsed.getComponents().find((component) => component.name === 'p2p')?.value
      if (peer) await host.peerStore.merge(peerIdFromString(peer), { multiaddrs: [parsed] }).catch(() => {})
    }
    const orderBook = createOrderBook({ host, store, deployment, backing: createChainBacking(clients, deployment), registry })
    await orderBook.start()
    stops.push(() => orderBook.stop())
    const jobs = await serveJobs(host, { signal })
    stops.push(() => jobs.stop())

    let provider: Provider | undefined
    let runtimes: Runtimes | undefined
    if (parameters.provider) {
      const { capacity, prices, runtimes: runtimesInit, ...init } = parameters.provider
      runtimes = createRuntimes({ ...runtimesInit, workRoot: join(home, 'work') })
      await runtimes.start({ signal })
      stops.push(() => runtimes!.stop())
      provider = createProvider({ host, clients, deployment, store, ledger: new CapacityLedger({ capacity }), runtimes: runtimes.byKind, publisher: orderBook, registry }, { home, prices, ...init })
      await provider.start()
      stops.push(() => provider!.stop())
    }

    // A node whose chain restarted, reorganised or vanished stops signing at once, and resyncs when it is back.
    const chain = watchChain(
      { clients, deployment },
      {
        intervalMs: parameters.chainWatchIntervalMs,
        onChange: async (change) => {
          if (change.type === 'down') provider?.pause(change.reason)
          // A fresh chain counts this account's transactions from zero again.
          if (change.type === 'up' && change.resync) account.nonceManager?.reset({ address: account.address, chainId: deployment.chainId })
          if (change.type === 'up') await provider?.resume({ resync: change.resync }).catch((error) => log.error('resuming after the chain came back: %O', error))
          parameters.onChainChange?.(change)
        },
      },
    )
    await chain.start()
    stops.push(() => chain.stop())

    if (parameters.syncOnStart && bootstrap.length > 0) {
      const deadline = Date.now() + 10_000
      while (host.getConnections().length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 25))
      await orderBook.sync({ signal }).catch((error) => log.error('initial sync: %s', error.message))
    }

    const info: NodeInfo = {
      peerId: host.peerId.toString(),
      addresses: host.getMultiaddrs().map((address) => address.toString()),
      address: account.address,
      market: deployment.market,
      pid: process.pid,
      startedAt: new Date().toISOString(),
    }
    await mkdir(home, { recursive: true })
    await writeFile(join(home, 'node.json'), `${JSON.stringify(info, null, 2)}\n`)
    return { host, store, clients, deployment, orderBook, book: instrumentMatcher(createBookMatcher({ asks: () => orderBook.asks() }), registry), jobs, provider, runtimes, registry, chain, info, stop }
  } catch (error) {
    await stop()
    throw error
  }
}
