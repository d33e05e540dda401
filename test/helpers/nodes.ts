import { mkdtemp } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AskEntry, SignedAsk } from '../../protocol/types/ask.ts'
import type { ChainClients } from '../../node/chain/clients.ts'
import type { Deployment } from '../../node/chain/deployment.ts'
import { createHost, type P2PHost } from '../../node/p2p/createHost.ts'
import { loadPeerKey } from '../../node/p2p/identity.ts'
import { createProvider, type Provider } from '../../node/provider/createProvider.ts'
import { CapacityLedger } from '../../node/runtime/resources/capacityLedger.ts'
import { createWasmRuntime } from '../../node/runtime/wasm/createWasmRuntime.ts'
import { openStore, type Store } from '../../node/store/openStore.ts'
import { createMetricsRegistry } from '../../node/metrics/createMetricsRegistry.ts'

/** A book shared by reference between nodes of one test: asks without the gossip layer. */
export function sharedBook() {
  const asks = new Map<string, AskEntry>()
  return {
    publishAsk: async (signed: SignedAsk) => {
      const { hashAsk } = await import('../../protocol/eip712/hashAsk.ts')
      asks.set(signed.ask.provider, { ask: signed.ask, hash: hashAsk(signed.ask, { chainId: signed.chainId, market: signed.market }) })
    },
    asks: () => [...asks.values()],
  }
}

export async function startHost(home: string, bootstrap: string[] = []): Promise<P2PHost> {
  const host = await createHost({ privateKey: await loadPeerKey(home), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap })
  await host.start()
  const deadline = Date.now() + 10_000
  while (bootstrap.length > 0 && host.getConnections().length === 0) {
    if (Date.now() > deadline) throw new Error('bootstrap peers not reached in 10 s')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  return host
}

export type TestProvider = { provider: Provider; host: P2PHost; store: Store; home: string; stop: () => Promise<void> }

/** An in-process provider with the wasm runtime and 4 cores / 4 GiB to sell. */
export async function startTestProvider(
  { clients, deployment, publisher, home }: { clients: ChainClients; deployment: Deployment; publisher: { publishAsk: (signed: SignedAsk) => Promise<void> }; home?: string },
  init: Partial<Parameters<typeof createProvider>[1]> = {},
): Promise<TestProvider> {
  const dir = home ?? (await mkdtemp(join(tmpdir(), 'allot-provider-')))
  const host = await startHost(dir)
  const store = await openStore(dir)
  const wasm = createWasmRuntime({ workRoot: join(dir, 'work') })
  await wasm.start()
  const ledger = new CapacityLedger({ capacity: { cpuMillicores: 4000, memoryMiB: 4096, diskMiB: 10_000, gpus: [] } })
  const provider = createProvider(
    { host, clients, deployment, store, ledger, runtimes: { wasm }, publisher, registry: createMetricsRegistry() },
    { home: dir, prices: { cpu: 500_000_000n, memory: 50_000_000n, gpus: [] }, ...init },
  )
  await provider.start()
  return {
    provider,
    host,
    store,
    home: dir,
    stop: async () => {
      await provider.stop()
      await wasm.stop()
      await host.stop()
      await store.close()
    },
  }
}
