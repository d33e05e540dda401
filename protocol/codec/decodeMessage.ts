import { MAX_MESSAGE_BYTES, WIRE_VERSION } from '../constants.ts'
import {
  MalformedMessageError,
  MessageTooLargeError,
  SchemaError,
  UnexpectedMessageTypeError,
  UnknownMessageTypeError,
  UnsupportedVersionError,
} from '../errors/codec.ts'
import { messageSchemas } from '../schemas/messages.ts'
import type { Message, MessageType } from '../types/messages.ts'
import { canonicalJson } from './canonicalJson.ts'
import { messageTypeByCode } from './messageTypes.ts'
import { schemaIssues } from './schemaIssues.ts'

// One decoder for every message: `fatal` throws on bad UTF-8, and a call without `stream` leaves no state behind.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

export type DecodeMessageParameters<type extends MessageType = MessageType> = {
  /** Types accepted here (a topic's or a stream's); any other known type throws. */
  accept?: readonly type[] | undefined
}

export type DecodeMessageReturnType<type extends MessageType = MessageType> = Message<type>

export type DecodeMessageErrorType =
  | MessageTooLargeError
  | MalformedMessageError
  | UnsupportedVersionError
  | UnknownMessageTypeError
  | UnexpectedMessageTypeError
  | SchemaError

/**
 * Decodes one message and rejects anything that is not exactly what
 * `encodeMessage` would produce: a message has one valid encoding, so equal
 * messages are equal bytes (gossip deduplicates by bytes).
 *
 * @param bytes - The message (a gossip payload, or one stream frame).
 * @param parameters - Optionally, the message types accepted here.
 * @returns The message type and its body.
 * @throws {MessageTooLargeError} Over `MAX_MESSAGE_BYTES`.
 * @throws {MalformedMessageError} Truncated, not UTF-8, not JSON, or not canonical.
 * @throws {UnsupportedVersionError} Unknown version byte.
 * @throws {UnknownMessageTypeError} Unknown type byte.
 * @throws {UnexpectedMessageTypeError} A type outside `accept`.
 * @throws {SchemaError} The body breaks its schema; `path` names the field.
 * @example
 * const message = decodeMessage(data, { accept: ['ask', 'ask-cancel'] })
 * if (message.type === 'ask') book.add(message.body)
 */
export function decodeMessage<type extends MessageType = MessageType>(
  bytes: Uint8Array,
  { accept }: DecodeMessageParameters<type> = {},
): DecodeMessageReturnType<type> {
  if (bytes.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError({ size: bytes.length, maxSize: MAX_MESSAGE_BYTES })
  if (bytes.length < 2) throw new MalformedMessageError('shorter than the 2-byte envelope')
  const version = bytes[0]!
  if (version !== WIRE_VERSION) throw new UnsupportedVersionError({ version, supported: WIRE_VERSION })
  const code = bytes[1]!
  const type = messageTypeByCode.get(code)
  if (!type) throw new UnknownMessageTypeError({ code })
  if (accept && !accept.includes(type as type)) throw new UnexpectedMessageTypeError({ type, accepted: accept })

  const payload = bytes.subarray(2)
  let text: string
  try {
    text = utf8.decode(payload)
  } catch (cause) {
    throw new MalformedMessageError('payload is not valid UTF-8', { cause })
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw new MalformedMessageError('payload is not valid JSON', { cause })
  }
  const parsed = messageSchemas[type].safeParse(json)
  if (!parsed.success) throw new SchemaError({ type, issues: schemaIssues(parsed.error) })
  if (canonicalJson(parsed.data) !== text)
    throw new MalformedMessageError('payload is not in canonical form')
  return { type, body: parsed.data } as DecodeMessageReturnType<type>
}
