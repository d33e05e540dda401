import { type Address, type Hex, recoverTypedDataAddress } from 'viem'
import type { AskCancel } from '../types/ask.ts'
import type { MarketParameters } from '../types/resources.ts'
import { askCancelTypedData } from './askCancelTypedData.ts'

export type RecoverAskCancelSignerParameters = MarketParameters & {
  cancel: AskCancel
  signature: Hex
}

export type RecoverAskCancelSignerReturnType = Address

/**
 * Recovers the address that signed an ask cancel. Asynchronous and costly (~2 ms in
 * pure JavaScript), so validators run the cheap checks first.
 *
 * @param parameters - The cancel, its signature and the market.
 * @returns The checksummed signer address; compare it with `isAddressEqual`.
 * @example
 * const signer = await recoverAskCancelSigner({ cancel, signature, chainId, market })
 */
export async function recoverAskCancelSigner({
  cancel,
  signature,
  ...market
}: RecoverAskCancelSignerParameters): Promise<RecoverAskCancelSignerReturnType> {
  return recoverTypedDataAddress({ ...askCancelTypedData(cancel, market), signature })
}
