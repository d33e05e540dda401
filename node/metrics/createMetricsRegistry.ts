import { collectDefaultMetrics, Registry } from 'prom-client'

/**
 * Creates a node's one metrics registry, with Node's process metrics
 * (CPU, memory, event-loop lag, GC) already on it. Services add their series to it.
 *
 * @returns a fresh registry; nothing global is touched, so several nodes can share a process.
 * @example
 * const registry = createMetricsRegistry()
 * const metrics = providerMetrics(registry)
 */
export function createMetricsRegistry(): Registry {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  return registry
}
