import type { Registry } from 'prom-client'

/** One sample of the node's own metrics. */
export type MetricsPoint = {
  /** Unix milliseconds. */
  t: number
  residentBytes: number
  heapUsedBytes: number
  eventLoopLagP99Seconds: number
  /** Totals since start; the page turns them into rates. */
  rpcRequests: number
  rpcErrors: number
  peers: number
  asks: number
}

export type MetricsHistory = { start: () => void; stop: () => void; points: () => MetricsPoint[] }

/**
 * Samples a node's registry every `intervalMs` and keeps the last `windowMs` (an hour
 * by default): enough for the dashboard's charts without running a Prometheus.
 *
 * @example
 * const history = createMetricsHistory({ registry: node.registry, peers: () => 3, asks: () => node.orderBook.asks().length })
 * history.start()
 */
export function createMetricsHistory(
  components: { registry: Registry; peers: () => number; asks: () => number },
  { intervalMs = 5_000, windowMs = 3_600_000 }: { intervalMs?: number; windowMs?: number } = {},
): MetricsHistory {
  const points: MetricsPoint[] = []
  let timer: NodeJS.Timeout | undefined
  const sample = async () => {
    const metrics = await components.registry.getMetricsAsJSON()
    // A histogram's samples carry their own names (`_count`, `_sum`, `_bucket`).
    const total = (name: string) =>
      metrics.flatMap((metric) => metric.values.filter((value) => ((value as { metricName?: string }).metricName ?? metric.name) === name)).reduce((sum, value) => sum + value.value, 0)
    points.push({
      t: Date.now(),
      residentBytes: total('process_resident_memory_bytes'),
      heapUsedBytes: total('nodejs_heap_size_used_bytes'),
      eventLoopLagP99Seconds: total('nodejs_eventloop_lag_p99_seconds'),
      rpcRequests: total('allot_rpc_request_seconds_count'),
      rpcErrors: total('allot_rpc_errors_total'),
      peers: components.peers(),
      asks: components.asks(),
    })
    while (points.length > 0 && points[0]!.t < Date.now() - windowMs) points.shift()
  }
  return {
    start() {
      void sample()
      timer = setInterval(() => void sample(), intervalMs)
    },
    stop: () => clearInterval(timer),
    points: () => points,
  }
}
