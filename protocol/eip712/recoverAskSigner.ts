import { type Address, type Hex, recoverTypedDataAddress } from 'viem'
import type { Ask } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { askTypedData } from './askTypedData.ts'

export type RecoverAskSignerParameters = MarketParameters & {
  ask: Ask
  signature: Hex
}

export type RecoverAskSignerReturnType = Address

/**
 * Recovers the address that signed an ask. Asynchronous and costly (~2 ms in
 * pure JavaScript), so validators run the cheap checks first.
 *
 * @param parameters - The ask, its signature and the market.
 * @returns The checksummed signer address; compare it with `isAddressEqual`.
 * @example
 * const signer = await recoverAskSigner({ ask, signature, chainId, market })
 */
export async function recoverAskSigner({
  ask,
  signature,
  ...market
}: RecoverAskSignerParameters): Promise<RecoverAskSignerReturnType> {
  return recoverTypedDataAddress({ ...askTypedData(ask, market), signature })
}
