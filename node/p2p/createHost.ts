import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify, type Identify } from '@libp2p/identify'
import type { Libp2p, PrivateKey } from '@libp2p/interface'
import { kadDHT, passthroughMapper, type KadDHT } from '@libp2p/kad-dht'
import { ping, type Ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createHash } from 'node:crypto'
import { createLibp2p } from 'libp2p'

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
}

/** The DHT protocol of allot's own network, so it never mixes with the public IPFS DHT. */
export const dhtProtocol = '/allot/kad/1.0.0'

/**
 * Creates (without starting) a libp2p host: TCP, Noise, Yamux, identify, ping,
 * kad-dht and gossipsub.
 *
 * Gossip is unsigned at the libp2p layer (`StrictNoSign`) and messages are
 * identified by the hash of their bytes: every order already carries its maker's
 * EIP-712 signature, and checking a second libp2p signature per message was a
 * fifth of a node's CPU per message (TOOLCHAIN.md).
 */
export async function createHost({ privateKey, listen, bootstrap: peers = [], announce }: CreateHostParameters): Promise<P2PHost> {
  return createLibp2p({
    privateKey,
    addresses: { listen, ...(announce?.length ? { announce } : {}) },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
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
      }),
    },
  }) as Promise<P2PHost>
}
