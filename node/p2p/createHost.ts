import { bootstrap } from '@libp2p/bootstrap'
import { gossipsub, type GossipSub, type GossipsubOpts } from '@libp2p/gossipsub'
import { createTopicScoreParams, type TopicScoreParams } from '@libp2p/gossipsub/score'
import { identify, type Identify } from '@libp2p/identify'
import type { ConnectionGater, Libp2p, PrivateKey } from '@libp2p/interface'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createHash } from 'node:crypto'
import { createLibp2p } from 'libp2p'
import { coalescedNoise } from './coalescedNoise.ts'
import { batchedYamux } from './batchedYamux.ts'

export type P2PServices = { identify: Identify; ping: Ping; dht: KadDHT; pubsub: GossipSub }
export type P2PHost = Libp2p<P2PServices>

export type CreateHostParameters = {
  privateKey: PrivateKey
  /** Multiaddrs to listen on, e.g. `/ip4/0.0.0.0/tcp/4001`. */
  listen: string[]
  /** Multiaddrs (with `/p2p/<id>`) to join the network through. */
  bootstrap?: string[]
  /** Addresses to announce instead of the listen addresses (a public IP behind NAT). */
  announce?: string[]
  /**
   * Gossip topics whose invalid messages count against the sender's gossipsub
   * score (the market's asks and bids topics, from `marketTopics`). Without
   * topic parameters gossipsub ignores validators' rejections when it scores peers.
   */
  scoredTopics?: string[]
  /**
   * Source IPs exempt from gossipsub's penalty for many peers behind one IP;
   * defaults to loopback, where every node of a test or the demo lives.
   */
  colocationWhitelist?: string[]
  /**
   * Networks (multiaddrs such as `/ip4/10.0.0.0/ipcidr/8`) whose inbound
   * connections skip the connection manager's limits (5 a second per IP, at
   * most 10 pending); defaults to loopback, for the same reason.
   */
  allowNetworks?: string[]
  /** Decides which peers and addresses may connect (allow or deny lists; benchmarks pin a topology with it). */
  connectionGater?: ConnectionGater
  /** gossipsub options over allot's (mesh degrees, heartbeat, …), applied last. */
  gossip?: Partial<GossipsubOpts>
}

/**
 * Score parameters of a market topic: a peer gains a little for time in the mesh
 * and first deliveries, and loses 5 points per invalid message, squared
 * (decaying by 10% a second), so that four rejected messages in a row take it
 * below gossipsub's graylist threshold (-80) and its messages are dropped
 * unread. Delivery-rate penalties are off: a quiet market is not a fault.
 */
export const marketTopicScoreParams: Partial<TopicScoreParams> = {
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1_000,
  timeInMeshCap: 300,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 20,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -5,
  invalidMessageDeliveriesDecay: 0.9,
}

/** The DHT protocol of allot's own network, so it never mixes with the public IPFS DHT. */
export const dhtProtocol = '/allot/kad/1.0.0'

/**
 * Creates (without starting) a libp2p host: TCP, Noise, Yamux (window updates
 * batched, {@link batchedYamux}), identify, ping, kad-dht and gossipsub.
 *
 * Gossip is unsigned at the libp2p layer (`StrictNoSign`) and messages are
 * identified by the hash of their bytes: every order already carries its maker's
 * EIP-712 signature, and checking a second libp2p signature per message was a
 * fifth of a node's CPU per message (TOOLCHAIN.md).
 */
export async function createHost({
  privateKey,
  listen,
  bootstrap: peers = [],
  announce,
  scoredTopics = [],
  colocationWhitelist = ['127.0.0.1', '::1'],
  allowNetworks = ['/ip4/127.0.0.0/ipcidr/8', '/ip6/::1/ipcidr/128'],
  connectionGater,
  gossip,
}: CreateHostParameters): Promise<P2PHost> {
  return createLibp2p({
    privateKey,
    addresses: { listen, ...(announce?.length ? { announce } : {}) },
    transports: [tcp()],
    connectionEncrypters: [coalescedNoise()],
    streamMuxers: [batchedYamux()],
    connectionManager: { allow: allowNetworks },
    ...(connectionGater ? { connectionGater } : {}),
    peerDiscovery: peers.length ? [bootstrap({ list: peers, timeout: 100 })] : [],
    services: {
      identify: identify(),
      ping: ping(),
      // Private and loopback addresses are kept: allot runs on LANs and test hosts too.
      dht: kadDHT({ protocol: dhtProtocol, clientMode: false, peerInfoMapper: passthroughMapper }),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (message) => createHash('sha256').update(message.data).digest(),
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        asyncValidation: false,
        maxInboundDataLength: 64 * 1024,
        // Orders are small (≤ 8 KiB): an IDONTWANT to every mesh peer costs more than the duplicate it saves.
        idontwantMinDataSize: 16 * 1024,
        // A mesh of five, one under gossipsub's default: the tail of delivery is a node stalling, and a
        // second path around it is worth more than the sends saved by a mesh of four (bench:gossip, paired
        // runs: p99 0.77–0.83× bare with five, 0.88–0.97× with four, for about 4 % more CPU).
        D: 5,
        Dlo: 4,
        Dhi: 7,
        Dout: 1,
        scoreParams: {
          IPColocationFactorWhitelist: new Set(colocationWhitelist),
          topics: Object.fromEntries(scoredTopics.map((topic) => [topic, createTopicScoreParams(marketTopicScoreParams)])),
        },
        ...gossip,
      }),
    },
  }) as Promise<P2PHost>
}
