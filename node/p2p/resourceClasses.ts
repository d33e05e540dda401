import type { PeerInfo } from '@libp2p/interface'
import { CID } from 'multiformats/cid'
import { create as createDigest } from 'multiformats/hashes/digest'
import { createHash } from 'node:crypto'
import { PROTOCOL_VERSION } from '../../protocol/constants.ts'
import type { Ask } from '../../protocol/types/ask.ts'
import type { MarketParameters, Runtime } from '../../protocol/types/resources.ts'
import type { P2PHost } from './createHost.ts'

/**
 * A kind of capacity a client may look for without the whole book:
 * `gpu/<normalized model>` or `runtime/<runtime>`.
 */
export type ResourceClass = `gpu/${string}` | `runtime/${Runtime}`

const RAW_CODEC = 0x55
const SHA2_256 = 0x12

/**
 * The resource classes an ask offers: one per GPU model in its capacity and one per runtime.
 *
 * @param ask - The ask.
 * @returns Its classes, GPU models first.
 * @example
 * askResourceClasses(ask) // ['gpu/nvidia-h100-80gb', 'runtime/wasm', 'runtime/docker']
 */
export function askResourceClasses(ask: Ask): ResourceClass[] {
  return [...ask.capacity.gpus.map((gpu) => `gpu/${gpu.model}` as const), ...ask.runtimes.map((runtime) => `runtime/${runtime}` as const)]
}

/**
 * The DHT key of a resource class in one market: the raw-codec CIDv1 of the
 * SHA-256 of `allot/<version>/<chainId>/<market lowercase>/<class>`, so
 * markets on different chains never share provider records.
 *
 * @param market - The chain id and market address.
 * @param resourceClass - The class.
 * @returns The CID under which providers of the class are recorded.
 * @example
 * resourceClassCid({ chainId: 31337, market }, 'gpu/nvidia-h100-80gb')
 */
export function resourceClassCid({ chainId, market }: MarketParameters, resourceClass: ResourceClass): CID {
  const key = `allot/${PROTOCOL_VERSION}/${chainId}/${market.toLowerCase()}/${resourceClass}`
  return CID.createV1(RAW_CODEC, createDigest(SHA2_256, createHash('sha256').update(key).digest()))
}

export type ProvideResourceClassesParameters = MarketParameters & {
  classes: readonly ResourceClass[]
  signal?: AbortSignal
}

/**
 * Records this node in the DHT as a provider of each class (kad-dht re-provides
 * them until the node stops).
 *
 * @param host - The node's host.
 * @param parameters - The market, the classes and an abort signal.
 * @returns When every record is stored.
 * @example
 * await provideResourceClasses(host, { chainId, market, classes: askResourceClasses(ask) })
 */
export async function provideResourceClasses(host: P2PHost, { classes, signal, ...market }: ProvideResourceClassesParameters): Promise<void> {
  await Promise.all(classes.map((resourceClass) => host.contentRouting.provide(resourceClassCid(market, resourceClass), { signal })))
}

export type FindResourceProvidersParameters = MarketParameters & {
  resourceClass: ResourceClass
  /** Stop after this many providers (default 20). */
  limit?: number
  signal?: AbortSignal
}

/**
 * Finds nodes that provide a resource class, through the DHT: how a client
 * finds the providers of one GPU model without holding the whole book. Their
 * asks can then be fetched from them, or awaited on gossip.
 *
 * @param host - The node's host.
 * @param parameters - The market, the class, a limit and an abort signal.
 * @returns The providers' peer ids and addresses, at most `limit`, without duplicates.
 * @example
 * const providers = await findResourceProviders(host, { chainId, market, resourceClass: 'gpu/nvidia-h100-80gb' })
 */
export async function findResourceProviders(
  host: P2PHost,
  { resourceClass, limit = 20, signal, ...market }: FindResourceProvidersParameters,
): Promise<PeerInfo[]> {
  const found = new Map<string, PeerInfo>()
  for await (const provider of host.contentRouting.findProviders(resourceClassCid(market, resourceClass), { signal })) {
    const id = provider.id.toString()
    if (!found.has(id)) found.set(id, { id: provider.id, multiaddrs: provider.multiaddrs })
    if (found.size >= limit) break
  }
  return [...found.values()]
}
