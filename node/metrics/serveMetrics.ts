import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Registry } from 'prom-client'
import { logger } from '../log/logger.ts'
import { MetricsListenError } from './errors.ts'
import { isLoopback, type MetricsAddress } from './parseMetricsAddress.ts'

const log = logger('metrics')

export type MetricsServer = {
  /** Where Prometheus scrapes, e.g. `http://127.0.0.1:9464/metrics`. */
  url: string
  stop: () => Promise<void>
}

/**
 * Serves a registry in the Prometheus text format at `GET /metrics` on a loopback
 * address (see `parseMetricsAddress`); every other path answers 404.
 *
 * @example
 * const server = await serveMetrics(node.registry, parseMetricsAddress('127.0.0.1:9464'))
 * console.log(server.url)
 */
export async function serveMetrics(registry: Registry, { host, port }: MetricsAddress): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    // A web page whose own name resolves to 127.0.0.1 (DNS rebinding) would send that name as Host.
    const hostname = (request.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1')
    if (hostname !== 'localhost' && !isLoopback(hostname)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('metrics answer requests to a loopback name only\n')
      return
    }
    const path = new URL(request.url ?? '/', 'http://localhost').pathname
    if (request.method !== 'GET' || path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('metrics are at /metrics\n')
      return
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: Error) => {
        log.error('collecting metrics: %O', error)
        response.writeHead(500, { 'content-type': 'text/plain' }).end(`${error.message}\n`)
      },
    )
  })
  server.listen(port, host)
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))])
  } catch (cause) {
    throw new MetricsListenError({ address: `${host}:${port}`, cause })
  }
  const bound = server.address() as AddressInfo
  const url = `http://${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}/metrics`
  log('serving metrics at %s', url)
  return {
    url,
    stop: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()) }),
  }
}
