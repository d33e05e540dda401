import debug from 'debug'

/** A namespaced logger: `DEBUG=allot:*` turns every one on. */
export type Logger = {
  (formatter: string, ...args: unknown[]): void
  error: (formatter: string, ...args: unknown[]) => void
  trace: (formatter: string, ...args: unknown[]) => void
  enabled: boolean
}

/**
 * Creates the logger for one component, e.g. `logger('chain:anvil')` logs under `allot:chain:anvil`.
 *
 * @param component - the part of the name after `allot:`.
 * @returns a logger whose `error` and `trace` variants log under `:error` and `:trace`.
 * @example
 * const log = logger('keeper')
 * log('liquidated %s', dealId)
 */
export function logger(component: string): Logger {
  const base = debug(`allot:${component}`)
  return Object.assign((formatter: string, ...args: unknown[]) => base(formatter, ...args), {
    error: debug(`allot:${component}:error`),
    trace: debug(`allot:${component}:trace`),
    get enabled() {
      return base.enabled
    },
  })
}
