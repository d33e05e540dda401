import { Counter, type Registry } from 'prom-client'
import { metricsOnce } from '../metrics/metricsOnce.ts'
import type { BookMatcher } from './bookMatcher.ts'

function createClientMetrics(registry: Registry) {
  return {
    matches: new Counter({
      name: 'allot_client_matches_total',
      help: 'Bids matched against the book, by outcome (matched: at least one ask fits; no_match: none does).',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    noMatch: new Counter({
      name: 'allot_client_no_match_asks_total',
      help: 'Asks that failed a bid in a match that found nothing, by the criterion they failed (runtime, capacity, gpu, price, duration, expired, …).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
  }
}

/** The client series of a node: matches and the reasons asks did not match. */
export const clientMetrics = (registry: Registry) => metricsOnce(registry, createClientMetrics)

/**
 * Counts every match made through `matcher` on `registry`; the matching itself is unchanged.
 *
 * @example
 * const book = instrumentMatcher(createBookMatcher({ asks: () => orderBook.asks() }), registry)
 */
export function instrumentMatcher(matcher: BookMatcher, registry: Registry): BookMatcher {
  const { matches, noMatch } = clientMetrics(registry)
  return {
    ...matcher,
    match: (bid, parameters) => {
      const result = matcher.match(bid, parameters)
      matches.inc({ outcome: result.match ? 'matched' : 'no_match' })
      if (!result.match) for (const [reason, count] of Object.entries(result.rejected)) if (count > 0) noMatch.inc({ reason: reason.toLowerCase() }, count)
      return result
    },
  }
}
