import { recoverDealTermsSigner } from '../eip712/recoverDealTermsSigner.ts'
import type { DealAccept } from '../types/messages.ts'
import type { MarketParameters } from '../types/resources.ts'
import { DealAcceptRejection, type DealAcceptValidation } from './dealAcceptRejection.ts'
import { validateDealAccept, type ValidateDealAcceptParameters } from './validateDealAccept.ts'

export type VerifyDealAcceptParameters = ValidateDealAcceptParameters & MarketParameters

/**
 * {@link validateDealAccept}, then checks that the provider signed the terms
 * for this market, as the contract will when the client opens the deal.
 *
 * @param accept - The decoded accept.
 * @param parameters - As for `validateDealAccept`, plus the market.
 * @returns `{ valid: true }` or the first rejection.
 * @example
 * const result = await verifyDealAccept(accept, { chainId, market, now, proposal, provider })
 */
export async function verifyDealAccept(
  accept: DealAccept,
  parameters: VerifyDealAcceptParameters,
): Promise<DealAcceptValidation> {
  const result = validateDealAccept(accept, parameters)
  if (!result.valid) return result
  let signer: string
  try {
    signer = await recoverDealTermsSigner({
      terms: accept.terms,
      signature: accept.providerSignature,
      chainId: parameters.chainId,
      market: parameters.market,
    })
  } catch (cause) {
    return { valid: false, reason: DealAcceptRejection.BadSignature, cause }
  }
  if (signer.toLowerCase() !== accept.terms.provider.toLowerCase())
    return { valid: false, reason: DealAcceptRejection.BadSignature }
  return { valid: true }
}
