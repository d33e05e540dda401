import type { Hex } from 'viem'
import { MAX_MESSAGE_BYTES } from '../../protocol/constants.ts'
import { decodeMessage } from '../../protocol/codec/decodeMessage.ts'
import type { SignedAsk, SignedAskCancel } from '../../protocol/types/ask.ts'
import type { SignedBid } from '../../protocol/types/bid.ts'
import type { Message, MessageType } from '../../protocol/types/messages.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import { BookRejection } from './rejection.ts'
import { recoverSigner } from './recoverSigner.ts'
import { askCancelDigest, askDigest, bidDigest, bytesToHex, type TypedDataHasher } from './typedDataHasher.ts'

export type DecodeOrderReturnType<type extends MessageType> =
  | { valid: true; message: Message<type> }
  | { valid: false; reason: BookRejection; cause?: unknown }

/**
 * Decodes gossip or sync bytes into an order, naming what is wrong otherwise.
 *
 * @param bytes - One message.
 * @param accept - The order types the topic carries.
 * @returns The message, or `oversized`, `malformed`, `unexpected-type` or `schema`.
 * @example
 * const decoded = decodeOrder(data, ['ask', 'ask-cancel'])
 */
export function decodeOrder<type extends MessageType>(bytes: Uint8Array, accept: readonly type[]): DecodeOrderReturnType<type> {
  if (bytes.length > MAX_MESSAGE_BYTES) return { valid: false, reason: BookRejection.Oversized }
  try {
    return { valid: true, message: decodeMessage(bytes, { accept }) }
  } catch (cause) {
    const name = (cause as Error).name
    const reason =
      name === 'SchemaError'
        ? BookRejection.Schema
        : name === 'UnexpectedMessageTypeError'
          ? BookRejection.UnexpectedType
          : name === 'MessageTooLargeError'
            ? BookRejection.Oversized
            : BookRejection.Malformed
    return { valid: false, reason, cause }
  }
}

export type VerifySignatureReturnType = { valid: true; hash: Hex } | { valid: false; reason: typeof BookRejection.BadSignature; cause?: unknown }

async function verify<message>(
  hasher: TypedDataHasher<message>,
  message: message,
  signer: string,
  signature: Hex,
  market: MarketParameters,
): Promise<VerifySignatureReturnType> {
  try {
    const digest = hasher(message, market)
    const recovered = await recoverSigner(digest, signature)
    if (recovered !== signer.toLowerCase()) return { valid: false, reason: BookRejection.BadSignature }
    return { valid: true, hash: bytesToHex(digest) }
  } catch (cause) {
    return { valid: false, reason: BookRejection.BadSignature, cause }
  }
}

/**
 * Checks that an ask was signed by its provider for this market (never the
 * market the message names), with the fast digest and native recovery.
 *
 * @param signed - A decoded ask.
 * @param market - The market this node serves.
 * @returns Its `hashAsk`, or `bad-signature`.
 * @example
 * const result = await verifyAskSignature(signedAsk, deployment)
 */
export function verifyAskSignature(signed: SignedAsk, market: MarketParameters): Promise<VerifySignatureReturnType> {
  return verify(askDigest, signed.ask, signed.ask.provider, signed.signature, market)
}

/** {@link verifyAskSignature} for a bid and its client; returns its `hashBid`. */
export function verifyBidSignature(signed: SignedBid, market: MarketParameters): Promise<VerifySignatureReturnType> {
  return verify(bidDigest, signed.bid, signed.bid.client, signed.signature, market)
}

/** {@link verifyAskSignature} for an ask cancel and its provider; returns its `hashAskCancel`. */
export function verifyAskCancelSignature(signed: SignedAskCancel, market: MarketParameters): Promise<VerifySignatureReturnType> {
  return verify(askCancelDigest, signed.cancel, signed.cancel.provider, signed.signature, market)
}
