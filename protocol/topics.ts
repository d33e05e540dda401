import { PROTOCOL_VERSION } from './constants.ts'
import type { MessageType } from './types/messages.ts'
import type { MarketParameters } from './types/resources.ts'

export type MarketTopicsReturnType = {
  /** Signed asks and ask cancels. */
  asks: string
  /** Signed bids. */
  bids: string
}

/**
 * The gossipsub topics of one market: `/allot/1/<chainId>/<market lowercase>/asks|bids`.
 * Markets on different chains or contracts never share a topic.
 *
 * @param parameters - The chain id and market address.
 * @returns The topic names.
 * @example
 * marketTopics({ chainId: 31337, market }).asks // '/allot/1/31337/0x5fbd…0aa3/asks'
 */
export function marketTopics({ chainId, market }: MarketParameters): MarketTopicsReturnType {
  const base = `/allot/${PROTOCOL_VERSION}/${chainId}/${market.toLowerCase()}`
  return { asks: `${base}/asks`, bids: `${base}/bids` }
}

/** The message types each topic carries (pass to `decodeMessage`'s `accept`). */
export const topicMessageTypes = {
  asks: ['ask', 'ask-cancel'],
  bids: ['bid'],
} as const satisfies Record<keyof MarketTopicsReturnType, readonly MessageType[]>
