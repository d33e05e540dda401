import { isIP } from 'node:net'
import { InvalidMetricsAddressError, MetricsAddressNotLoopbackError } from './errors.ts'

export type MetricsAddress = { host: string; port: number }

/**
 * Parses `--metrics HOST:PORT` and accepts only loopback hosts (127.0.0.0/8, ::1, localhost):
 * metrics name the node's deals and earnings, which are no one else's business.
 *
 * @param address - e.g. `127.0.0.1:9464`, `[::1]:0`.
 * @returns the host to bind and the port (0 picks a free one).
 * @throws MetricsAddressNotLoopbackError, InvalidMetricsAddressError
 * @example
 * parseMetricsAddress('127.0.0.1:9464') // { host: '127.0.0.1', port: 9464 }
 */
export function parseMetricsAddress(address: string): MetricsAddress {
  const parts = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(address.trim())
  if (!parts) throw new InvalidMetricsAddressError({ address })
  const host = (parts[1] ?? parts[2])!
  const port = Number(parts[3])
  if (port > 65_535) throw new InvalidMetricsAddressError({ address })
  if (host !== 'localhost' && !isLoopback(host)) {
    if (isIP(host) === 0 && !/^[a-z0-9.-]+$/i.test(host)) throw new InvalidMetricsAddressError({ address })
    throw new MetricsAddressNotLoopbackError({ address })
  }
  return { host: host === 'localhost' ? '127.0.0.1' : host, port }
}

/** Whether `host` is a loopback IP address (127.0.0.0/8 or ::1). */
export function isLoopback(host: string): boolean {
  return host === '::1' || (isIP(host) === 4 && host.startsWith('127.'))
}
