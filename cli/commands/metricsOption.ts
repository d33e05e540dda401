import type { Registry } from 'prom-client'
import { parseMetricsAddress, type MetricsAddress } from '../../node/metrics/parseMetricsAddress.ts'
import { serveMetrics, type MetricsServer } from '../../node/metrics/serveMetrics.ts'
import type { OptionSpec } from '../command.ts'
import type { Output } from '../output.ts'

/** `--metrics 127.0.0.1:PORT`, shared by the long-running commands. */
export const metricsOption: OptionSpec = {
  flags: '--metrics <host:port>',
  description: 'serve Prometheus metrics at http://HOST:PORT/metrics; loopback addresses only (port 0 picks one)',
  parse: parseMetricsAddress,
}

/** Serves the registry when `--metrics` was given and says where; a no-op server otherwise. */
export async function startMetrics(registry: Registry, address: unknown, output: Output): Promise<MetricsServer | undefined> {
  if (!address) return undefined
  const server = await serveMetrics(registry, address as MetricsAddress)
  output.progress('metrics', server.url)
  return server
}
