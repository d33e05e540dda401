import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import type { Transport } from 'viem'
import { metricsOnce } from '../metrics/metricsOnce.ts'
import type { EventFollowerStatus } from './events/createEventFollower.ts'

function createChainMetrics(registry: Registry) {
  const followers = new Map<string, () => EventFollowerStatus>()
  return {
    rpcSeconds: new Histogram({
      name: 'allot_rpc_request_seconds',
      help: 'Time of JSON-RPC requests to the chain endpoint, by method.',
      labelNames: ['method'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    }),
    rpcErrors: new Counter({
      name: 'allot_rpc_errors_total',
      help: 'JSON-RPC requests that failed (transport errors and error answers alike, reverts included), by method.',
      labelNames: ['method'] as const,
      registers: [registry],
    }),
    followers,
    headLag: new Gauge({
      name: 'allot_chain_head_lag_blocks',
      help: 'Blocks between the chain head last seen and the last block whose market events were handled, by follower.',
      labelNames: ['follower'] as const,
      registers: [registry],
      collect() {
        for (const [name, status] of followers) {
          const { head, cursor } = status()
          // The follower moves its cursor to a new head before it records that head: for that moment the
          // cursor is ahead of the head it reports, and the lag is none, not negative.
          if (head && cursor) this.set({ follower: name }, Math.max(0, Number(head.number - cursor.block)))
        }
      },
    }),
  }
}

/** The chain series of a node: RPC latency and errors, head lag of its event followers. */
export const chainMetrics = (registry: Registry) => metricsOnce(registry, createChainMetrics)

/**
 * Wraps a viem transport so every request is timed and every failure counted on `registry`.
 *
 * @example
 * const transport = instrumentTransport(http(rpcUrl), registry)
 */
export function instrumentTransport(transport: Transport, registry: Registry): Transport {
  const { rpcSeconds, rpcErrors } = chainMetrics(registry)
  return (parameters) => {
    const inner = transport(parameters)
    const request: typeof inner.request = async (args, options) => {
      const end = rpcSeconds.startTimer({ method: args.method })
      try {
        return await inner.request(args, options)
      } catch (error) {
        rpcErrors.inc({ method: args.method })
        throw error
      } finally {
        end()
      }
    }
    return { ...inner, request }
  }
}

/**
 * Reports an event follower's head lag as `allot_chain_head_lag_blocks{follower=name}`.
 *
 * @example
 * watchFollower(registry, 'provider', () => follower.status())
 */
export function watchFollower(registry: Registry, name: string, status: () => EventFollowerStatus): void {
  chainMetrics(registry).followers.set(name, status)
}
