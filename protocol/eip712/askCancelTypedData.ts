import type { TypedDataDefinition } from 'viem'
import type { AskCancel } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { marketDomain } from './marketDomain.ts'
import { askCancelTypes } from './types.ts'

export type AskCancelTypedDataReturnType = TypedDataDefinition<typeof askCancelTypes, 'AskCancel'>

/**
 * The EIP-712 typed data of an ask cancel.
 *
 * @param cancel - The provider and its new cancel nonce.
 * @param market - The market it is for.
 * @returns `{ domain, types, primaryType: 'AskCancel', message }`.
 * @example
 * const signature = await account.signTypedData(askCancelTypedData({ provider, cancelNonce: 4 }, market))
 */
export function askCancelTypedData(cancel: AskCancel, market: MarketParameters): AskCancelTypedDataReturnType {
  return { domain: marketDomain(market), types: askCancelTypes, primaryType: 'AskCancel', message: cancel }
}
