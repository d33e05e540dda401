import { MAX_MESSAGE_BYTES, WIRE_VERSION } from '../constants.ts'
import { MessageTooLargeError, SchemaError } from '../errors/codec.ts'
import { messageSchemas } from '../schemas/messages.ts'
import type { Message, MessageType } from '../types/messages.ts'
import { canonicalJson, toJsonValue } from './canonicalJson.ts'
import { messageTypeCodes } from './messageTypes.ts'
import { schemaIssues } from './schemaIssues.ts'

export type EncodeMessageErrorType = SchemaError | MessageTooLargeError

/**
 * Encodes a message as `version ‖ type ‖ canonical JSON`. The body is checked
 * against its schema first, so a node never sends what a peer would reject.
 *
 * @param message - The message type and body.
 * @returns The encoded bytes, at most `MAX_MESSAGE_BYTES`.
 * @throws {SchemaError} The body breaks its schema.
 * @throws {MessageTooLargeError} The encoding is over the size limit.
 * @example
 * const bytes = encodeMessage({ type: 'ask', body: signedAsk })
 */
export function encodeMessage<type extends MessageType>(message: Message<type>): Uint8Array {
  const { type, body } = message as Message
  const parsed = messageSchemas[type].safeParse(toJsonValue(body))
  if (!parsed.success) throw new SchemaError({ type, issues: schemaIssues(parsed.error) })
  const payload = new TextEncoder().encode(canonicalJson(parsed.data))
  const size = payload.length + 2
  if (size > MAX_MESSAGE_BYTES) throw new MessageTooLargeError({ size, maxSize: MAX_MESSAGE_BYTES })
  const bytes = new Uint8Array(size)
  bytes[0] = WIRE_VERSION
  bytes[1] = messageTypeCodes[type]
  bytes.set(payload, 2)
  return bytes
}
