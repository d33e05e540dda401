import { type Hex, hashTypedData } from 'viem'
import type { Ask } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { askTypedData } from './askTypedData.ts'

export type HashAskReturnType = Hex

/**
 * The EIP-712 digest of an ask (`keccak256(0x1901 ‖ domainSeparator ‖ hashStruct)`), the value that is signed.
 *
 * @param ask - The ask.
 * @param market - The market it is for.
 * @returns The 32-byte digest.
 * @example
 * const hash = hashAsk(ask, { chainId: 31337, market })
 */
export function hashAsk(ask: Ask, market: MarketParameters): HashAskReturnType {
  return hashTypedData(askTypedData(ask, market))
}
