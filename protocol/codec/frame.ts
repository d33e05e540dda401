import { MAX_MESSAGE_BYTES } from '../constants.ts'
import { MessageTooLargeError } from '../errors/codec.ts'
import { decodeUvarint, encodeUvarint } from './uvarint.ts'

/**
 * Frames one encoded message for a stream: `uvarint(length) ‖ message`, the
 * framing of `lpStream` in `@libp2p/utils` (use it with `maxDataLength: MAX_MESSAGE_BYTES`).
 *
 * @param message - An encoded message.
 * @returns The frame.
 * @throws {MessageTooLargeError} The message is over `MAX_MESSAGE_BYTES`.
 */
export function encodeFrame(message: Uint8Array): Uint8Array {
  if (message.length > MAX_MESSAGE_BYTES) throw new MessageTooLargeError({ size: message.length, maxSize: MAX_MESSAGE_BYTES })
  const prefix = encodeUvarint(message.length)
  const frame = new Uint8Array(prefix.length + message.length)
  frame.set(prefix)
  frame.set(message, prefix.length)
  return frame
}

export type DecodeFrameReturnType = { message: Uint8Array; bytesRead: number } | undefined

/**
 * Reads one frame from the start of buffered stream input. The length is
 * checked before the body arrives, so an oversized frame is refused without
 * buffering it.
 *
 * @param bytes - Buffered input.
 * @returns The message (a view into `bytes`) and the bytes consumed, or `undefined` when incomplete.
 * @throws {MessageTooLargeError} The declared length is over `MAX_MESSAGE_BYTES`.
 * @throws {MalformedMessageError} The length prefix is malformed.
 * @example
 * const frame = decodeFrame(buffer)
 * if (frame) { handle(decodeMessage(frame.message)); buffer = buffer.subarray(frame.bytesRead) }
 */
export function decodeFrame(bytes: Uint8Array): DecodeFrameReturnType {
  const prefix = decodeUvarint(bytes)
  if (!prefix) return undefined
  if (prefix.value > MAX_MESSAGE_BYTES) throw new MessageTooLargeError({ size: prefix.value, maxSize: MAX_MESSAGE_BYTES })
  const end = prefix.bytesRead + prefix.value
  if (bytes.length < end) return undefined
  return { message: bytes.subarray(prefix.bytesRead, end), bytesRead: end }
}
