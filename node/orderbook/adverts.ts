import type { Ask } from '../../protocol/types/ask.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import type { Logger } from '../log/logger.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import { askResourceClasses, provideResourceClasses, type ResourceClass } from '../p2p/resourceClasses.ts'

export type AdvertsComponents = { host: P2PHost; market: MarketParameters; logger: Logger }

export type AdvertsInit = {
  /** Record the node's own asks' resource classes in the DHT (default true). */
  advertise?: boolean
}

export const defaultAdvertsInit = { advertise: true } satisfies Required<AdvertsInit>

/** The DHT records that let clients find providers of a GPU model or runtime without the whole book. */
export interface Adverts {
  start(): void
  stop(): void
  /** Advertises the resource classes of one of the node's own asks (each class once). */
  advertise(ask: Ask): void
}

/**
 * Creates the adverts part. A class whose record failed is tried again with the next ask.
 *
 * @param components - The host (its DHT), the market and a logger.
 * @param init - Whether to advertise at all.
 * @returns The adverts part, not started.
 * @example
 * const adverts = createAdverts({ host, market, logger })
 * adverts.advertise(signedAsk.ask)
 */
export function createAdverts({ host, market, logger: log }: AdvertsComponents, init: AdvertsInit = {}): Adverts {
  const { advertise } = { ...defaultAdvertsInit, ...init }
  const advertised = new Set<ResourceClass>()
  let controller = new AbortController()
  return {
    start: () => {
      controller = new AbortController()
    },
    stop: () => controller.abort(new Error('the order book stopped')),
    advertise: (ask) => {
      if (!advertise) return
      const fresh = askResourceClasses(ask).filter((resourceClass) => !advertised.has(resourceClass))
      if (!fresh.length) return
      for (const resourceClass of fresh) advertised.add(resourceClass)
      provideResourceClasses(host, { ...market, classes: fresh, signal: controller.signal }).then(
        () => log('advertised %s in the DHT', fresh.join(', ')),
        (error) => {
          for (const resourceClass of fresh) advertised.delete(resourceClass)
          log('advertising %s failed: %s', fresh.join(', '), (error as Error).message)
        },
      )
    },
  }
}
