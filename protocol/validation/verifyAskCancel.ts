import type { SignedAskCancel } from '../types/ask.ts'
import { recoverAskCancelSigner } from '../eip712/recoverAskCancelSigner.ts'
import { OrderRejection, type OrderValidation } from './orderRejection.ts'
import { validateAskCancel, type ValidateAskCancelParameters } from './validateAskCancel.ts'

export type VerifyAskCancelParameters = ValidateAskCancelParameters

/**
 * Validates an ask cancel and then checks its signature under the expected market's
 * domain (never the one the message names): what a gossip validator runs.
 *
 * @param signedCancel - A decoded, signed order.
 * @param parameters - As for {@link validateAskCancel}.
 * @returns `{ valid: true }` or the first rejection; `bad-signature` carries the recovery error as `cause` when there is one.
 * @example
 * const result = await verifyAskCancel(signedCancel, { chainId, market, now })
 * if (!result.valid) return orderRejectionAction[result.reason]
 */
export async function verifyAskCancel(signedCancel: SignedAskCancel, parameters: VerifyAskCancelParameters): Promise<OrderValidation> {
  const result = validateAskCancel(signedCancel, parameters)
  if (!result.valid) return result
  let signer: string
  try {
    signer = await recoverAskCancelSigner({
      cancel: signedCancel.cancel,
      signature: signedCancel.signature,
      chainId: parameters.chainId,
      market: parameters.market,
    })
  } catch (cause) {
    return { valid: false, reason: OrderRejection.BadSignature, cause }
  }
  if (signer.toLowerCase() !== signedCancel.cancel.provider.toLowerCase()) return { valid: false, reason: OrderRejection.BadSignature }
  return { valid: true }
}
