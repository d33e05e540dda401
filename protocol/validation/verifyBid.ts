import type { SignedBid } from '../types/bid.ts'
import { recoverBidSigner } from '../eip712/recoverBidSigner.ts'
import { OrderRejection, type OrderValidation } from './orderRejection.ts'
import { validateBid, type ValidateBidParameters } from './validateBid.ts'

export type VerifyBidParameters = ValidateBidParameters

/**
 * Validates a bid and then checks its signature under the expected market's
 * domain (never the one the message names): what a gossip validator runs.
 *
 * @param signedBid - A decoded, signed order.
 * @param parameters - As for {@link validateBid}.
 * @returns `{ valid: true }` or the first rejection; `bad-signature` carries the recovery error as `cause` when there is one.
 * @example
 * const result = await verifyBid(signedBid, { chainId, market, now })
 * if (!result.valid) return orderRejectionAction[result.reason]
 */
export async function verifyBid(signedBid: SignedBid, parameters: VerifyBidParameters): Promise<OrderValidation> {
  const result = validateBid(signedBid, parameters)
  if (!result.valid) return result
  let signer: string
  try {
    signer = await recoverBidSigner({
      bid: signedBid.bid,
      signature: signedBid.signature,
      chainId: parameters.chainId,
      market: parameters.market,
    })
  } catch (cause) {
    return { valid: false, reason: OrderRejection.BadSignature, cause }
  }
  if (signer.toLowerCase() !== signedBid.bid.client.toLowerCase()) return { valid: false, reason: OrderRejection.BadSignature }
  return { valid: true }
}
