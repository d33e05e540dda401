import { MalformedMessageError } from '../errors/codec.ts'

/** Longest uvarint accepted: 4 bytes hold lengths up to 2^28 − 1, far above any frame. */
const MAX_UVARINT_BYTES = 4

/**
 * Encodes an unsigned integer as a multiformats uvarint (LEB128, minimal).
 *
 * @param value - A non-negative safe integer below 2^28.
 * @returns 1–4 bytes.
 */
export function encodeUvarint(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** (7 * MAX_UVARINT_BYTES))
    throw new RangeError(`${value} is not a uvarint below 2^${7 * MAX_UVARINT_BYTES}`)
  const bytes: number[] = []
  do {
    let byte = value & 0x7f
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    bytes.push(byte)
  } while (value > 0)
  return Uint8Array.from(bytes)
}

export type DecodeUvarintReturnType = { value: number; bytesRead: number } | undefined

/**
 * Reads a uvarint from the start of `bytes`.
 *
 * @param bytes - Buffered input.
 * @returns The value and its length, or `undefined` when more bytes are needed.
 * @throws {MalformedMessageError} Longer than 4 bytes or not minimally encoded.
 */
export function decodeUvarint(bytes: Uint8Array): DecodeUvarintReturnType {
  let value = 0
  for (let i = 0; i < MAX_UVARINT_BYTES; i++) {
    if (i >= bytes.length) return undefined
    const byte = bytes[i]!
    value += (byte & 0x7f) * 2 ** (7 * i)
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i > 0) throw new MalformedMessageError('length prefix is not minimally encoded')
      return { value, bytesRead: i + 1 }
    }
  }
  throw new MalformedMessageError(`length prefix is longer than ${MAX_UVARINT_BYTES} bytes`)
}
