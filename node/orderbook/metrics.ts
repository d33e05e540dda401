import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { MessageType } from '../../protocol/types/messages.ts'

/** What an order is, as the metrics label it; `unknown` when its bytes never decoded. */
export type OrderKind = Extract<MessageType, 'ask' | 'bid' | 'ask-cancel'> | 'unknown'

/** The order book's series. Every method is cheap enough for the gossip validator's hot path. */
export type OrderBookMetrics = {
  received: (kind: OrderKind) => void
  accepted: (kind: OrderKind) => void
  rejected: (kind: OrderKind, reason: string) => void
  /** Seconds one gossip message spent in the validator, from its bytes to the verdict. */
  validated: (seconds: number) => void
  /** Seconds from an order's creation (the ask's `createdAt`) to its admission here. */
  propagated: (seconds: number) => void
}

export type OrderBookMetricsComponents = {
  registry: Registry
  /** The book's sizes, read when the registry is scraped (nothing to update on the hot path). */
  sizes: () => { asks: number; bids: number }
}

const kinds = ['ask', 'bid', 'ask-cancel', 'unknown'] as const

/** Orders the book does nothing with: every method returns at once. */
export const noOrderBookMetrics: OrderBookMetrics = {
  received: () => {},
  accepted: () => {},
  rejected: () => {},
  validated: () => {},
  propagated: () => {},
}

/**
 * Creates the order book's series on the node's registry:
 * `allot_orders_received_total{kind}`, `allot_orders_accepted_total{kind}`,
 * `allot_orders_rejected_total{kind,reason}`, `allot_order_validation_seconds`,
 * `allot_order_propagation_seconds` and `allot_book_orders{kind}`.
 *
 * Label children are bound once, so counting an order is one addition.
 *
 * @param components - The registry and the book's sizes.
 * @returns The recorder the book's parts call.
 * @example
 * const metrics = createOrderBookMetrics({ registry, sizes: () => ({ asks: 3, bids: 1 }) })
 * metrics.received('ask')
 */
export function createOrderBookMetrics({ registry, sizes }: OrderBookMetricsComponents): OrderBookMetrics {
  const registers = [registry]
  const received = new Counter({ name: 'allot_orders_received_total', help: 'Orders received, from gossip, sync or this node, before any check', labelNames: ['kind'], registers })
  const accepted = new Counter({ name: 'allot_orders_accepted_total', help: 'Orders that entered the book', labelNames: ['kind'], registers })
  const rejected = new Counter({ name: 'allot_orders_rejected_total', help: 'Orders refused, by reason', labelNames: ['kind', 'reason'], registers })
  const validation = new Histogram({
    name: 'allot_order_validation_seconds',
    help: 'Time one gossip message spends in the order book validator',
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  })
  const propagation = new Histogram({
    name: 'allot_order_propagation_seconds',
    help: 'Time from an ask’s creation (its createdAt, whole seconds) to its admission here',
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
    registers,
  })
  new Gauge({
    name: 'allot_book_orders',
    help: 'Orders the book holds',
    labelNames: ['kind'],
    registers,
    collect() {
      const { asks, bids } = sizes()
      this.set({ kind: 'ask' }, asks)
      this.set({ kind: 'bid' }, bids)
    },
  })
  const receivedBy = Object.fromEntries(kinds.map((kind) => [kind, received.labels(kind)]))
  const acceptedBy = Object.fromEntries(kinds.map((kind) => [kind, accepted.labels(kind)]))
  return {
    received: (kind) => receivedBy[kind]!.inc(),
    accepted: (kind) => acceptedBy[kind]!.inc(),
    rejected: (kind, reason) => rejected.labels(kind, reason).inc(),
    validated: (seconds) => validation.observe(seconds),
    propagated: (seconds) => propagation.observe(Math.max(0, seconds)),
  }
}
