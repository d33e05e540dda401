import type { SignedAsk } from '../types/ask.ts'
import { recoverAskSigner } from '../eip712/recoverAskSigner.ts'
import { OrderRejection, type OrderValidation } from './orderRejection.ts'
import { validateAsk, type ValidateAskParameters } from './validateAsk.ts'

export type VerifyAskParameters = ValidateAskParameters

/**
 * Validates an ask and then checks its signature under the expected market's
 * domain (never the one the message names): what a gossip validator runs.
 *
 * @param signedAsk - A decoded, signed order.
 * @param parameters - As for {@link validateAsk}.
 * @returns `{ valid: true }` or the first rejection; `bad-signature` carries the recovery error as `cause` when there is one.
 * @example
 * const result = await verifyAsk(signedAsk, { chainId, market, now })
 * if (!result.valid) return orderRejectionAction[result.reason]
 */
export async function verifyAsk(signedAsk: SignedAsk, parameters: VerifyAskParameters): Promise<OrderValidation> {
  const result = validateAsk(signedAsk, parameters)
  if (!result.valid) return result
  let signer: string
  try {
    signer = await recoverAskSigner({
      ask: signedAsk.ask,
      signature: signedAsk.signature,
      chainId: parameters.chainId,
      market: parameters.market,
    })
  } catch (cause) {
    return { valid: false, reason: OrderRejection.BadSignature, cause }
  }
  if (signer.toLowerCase() !== signedAsk.ask.provider.toLowerCase()) return { valid: false, reason: OrderRejection.BadSignature }
  return { valid: true }
}
