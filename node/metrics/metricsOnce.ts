import type { Registry } from 'prom-client'

const created = new WeakMap<Registry, Map<unknown, unknown>>()

/**
 * Creates a service's series on a registry the first time it is asked for and
 * returns the same ones afterwards: prom-client refuses a second series with the
 * same name, and a node may build the same service twice (a provider restarted in process).
 *
 * @param registry - the node's registry.
 * @param create - builds the series; called once per registry.
 * @returns what `create` returned for this registry.
 * @example
 * export const transferMetrics = (registry: Registry) => metricsOnce(registry, createTransferMetrics)
 */
export function metricsOnce<T>(registry: Registry, create: (registry: Registry) => T): T {
  let byCreator = created.get(registry)
  if (!byCreator) created.set(registry, (byCreator = new Map()))
  if (!byCreator.has(create)) byCreator.set(create, create(registry))
  return byCreator.get(create) as T
}
