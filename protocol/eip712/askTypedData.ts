import type { TypedDataDefinition } from 'viem'
import type { Ask } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { marketDomain } from './marketDomain.ts'
import { askTypes } from './types.ts'

export type AskTypedDataReturnType = TypedDataDefinition<typeof askTypes, 'Ask'>

/**
 * The EIP-712 typed data of an ask, ready for `signTypedData`,
 * `hashTypedData` or `recoverTypedDataAddress`.
 *
 * @param ask - The ask.
 * @param market - The market it is for.
 * @returns `{ domain, types, primaryType: 'Ask', message }`.
 * @example
 * const signature = await account.signTypedData(askTypedData(ask, { chainId, market }))
 */
export function askTypedData(ask: Ask, market: MarketParameters): AskTypedDataReturnType {
  return { domain: marketDomain(market), types: askTypes, primaryType: 'Ask', message: ask }
}
