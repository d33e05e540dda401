import { type Hex, hashTypedData } from 'viem'
import type { AskCancel } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { askCancelTypedData } from './askCancelTypedData.ts'

export type HashAskCancelReturnType = Hex

/**
 * The EIP-712 digest of an ask cancel (`keccak256(0x1901 ‖ domainSeparator ‖ hashStruct)`), the value that is signed.
 *
 * @param cancel - The cancel.
 * @param market - The market it is for.
 * @returns The 32-byte digest.
 * @example
 * const hash = hashAskCancel(cancel, { chainId: 31337, market })
 */
export function hashAskCancel(cancel: AskCancel, market: MarketParameters): HashAskCancelReturnType {
  return hashTypedData(askCancelTypedData(cancel, market))
}
