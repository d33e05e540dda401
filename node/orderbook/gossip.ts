import { TopicValidatorResult, type Message as GossipMessage } from '@libp2p/gossipsub'
import type { PeerId } from '@libp2p/interface'
import { topicMessageTypes } from '../../protocol/topics.ts'
import type { Logger } from '../log/logger.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import type { Admit } from './admit.ts'
import type { OrderBookMetrics } from './metrics.ts'
import { createRateLimiter, type Rate } from './rateLimiter.ts'
import { BookRejection, bookRejectionAction } from './rejection.ts'
import type { AdmitResult, BookSide, OrderContext } from './types.ts'
import { decodeOrder } from './verifyOrder.ts'

export type GossipComponents = {
  host: Pick<P2PHost, 'services'>
  /** The market's topics, from `marketTopics`. */
  topics: Record<BookSide, string>
  admit: Admit
  metrics: OrderBookMetrics
  logger: Logger
}

export type GossipInit = {
  /** Gossip each peer may forward to us (default 500/s, bursts of 1 000); above it, `reject`. */
  perPeerRate?: Rate
  /** How often idle peers' buckets are dropped, ms (default 10 000). */
  pruneInterval?: number
}

export const defaultGossipInit = {
  perPeerRate: { perSec: 500, burst: 1_000 },
  pruneInterval: 10_000,
} satisfies Required<GossipInit>

/** The book's side of gossipsub: a validator on each market topic, and publishing. */
export interface Gossip {
  start(): void
  stop(): void
  publish(book: BookSide, bytes: Uint8Array): Promise<void>
}

/** What gossipsub is told about an order the book decided on. */
export function gossipVerdict(result: AdmitResult): TopicValidatorResult {
  if (result.accepted) return TopicValidatorResult.Accept
  return bookRejectionAction[result.reason] === 'reject' ? TopicValidatorResult.Reject : TopicValidatorResult.Ignore
}

/**
 * Creates the gossip part: on `start` it installs a validator on the asks and
 * bids topics and subscribes. A message is checked cheapest first — the
 * forwarding peer's rate, then decoding against the types its topic carries —
 * before the admission pipeline; the verdict is `accept`, `reject` (scores the
 * peer down) or `ignore` ({@link bookRejectionAction}).
 *
 * @param components - The host, the topics, the pipeline and the metrics.
 * @param init - The per-peer rate.
 * @returns The gossip part, not started.
 * @example
 * const gossip = createGossip({ host, topics: marketTopics(market), admit, metrics, logger })
 * gossip.start()
 */
export function createGossip({ host, topics, admit, metrics }: GossipComponents, init: GossipInit = {}): Gossip {
  const { perPeerRate, pruneInterval } = { ...defaultGossipInit, ...init }
  const perPeer = createRateLimiter(perPeerRate)
  let timer: NodeJS.Timeout | undefined

  const check = async (book: BookSide, peer: PeerId, message: GossipMessage): Promise<AdmitResult> => {
    const context: OrderContext = { source: 'gossip', from: peer.toString() }
    if (!perPeer.take(context.from!)) {
      metrics.received('unknown')
      return admit.refuse(BookRejection.PeerRateLimited, context, 'unknown')
    }
    const decoded = decodeOrder(message.data, topicMessageTypes[book])
    if (!decoded.valid) {
      metrics.received('unknown')
      return admit.refuse(decoded.reason, context, 'unknown', decoded.cause)
    }
    return admit.admit(decoded.message, message.data, context)
  }

  const validate = async (book: BookSide, peer: PeerId, message: GossipMessage): Promise<TopicValidatorResult> => {
    const started = performance.now()
    const verdict = gossipVerdict(await check(book, peer, message))
    metrics.validated((performance.now() - started) / 1000)
    return verdict
  }

  return {
    start: () => {
      const pubsub = host.services.pubsub
      pubsub.topicValidators.set(topics.asks, (peer, message) => validate('asks', peer, message))
      pubsub.topicValidators.set(topics.bids, (peer, message) => validate('bids', peer, message))
      pubsub.subscribe(topics.asks)
      pubsub.subscribe(topics.bids)
      timer = setInterval(() => perPeer.prune(), pruneInterval)
      timer.unref()
    },
    stop: () => {
      clearInterval(timer)
      const pubsub = host.services.pubsub
      for (const topic of [topics.asks, topics.bids]) {
        pubsub.topicValidators.delete(topic)
        pubsub.unsubscribe(topic)
      }
    },
    publish: async (book, bytes) => {
      await host.services.pubsub.publish(topics[book], bytes)
    },
  }
}
