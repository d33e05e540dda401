import { Counter, type Registry } from 'prom-client'
import { metricsOnce } from '../metrics/metricsOnce.ts'

function createTransferMetrics(registry: Registry) {
  return {
    bytes: new Counter({
      name: 'allot_transfer_bytes_total',
      help: 'Bundle bytes moved between peers, by direction (sent, received) and kind (job, result).',
      labelNames: ['direction', 'kind'] as const,
      registers: [registry],
    }),
  }
}

/** The transfer series of a node: bundle bytes sent and received. */
export const transferMetrics = (registry: Registry) => metricsOnce(registry, createTransferMetrics)
