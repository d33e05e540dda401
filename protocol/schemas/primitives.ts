import type { Address, Hex } from 'viem'
import { z } from 'zod'
import { MAX_CHUNK_BYTES, MAX_UINT32, MAX_UINT48 } from '../constants.ts'
import { base64ToBytes } from '../codec/base64.ts'
import { runtimes } from '../types/resources.ts'

// Schemas read the JSON form of a message (bigints as decimal strings, bytes as
// base64) and output the TypeScript form; hex is accepted in any case and
// lowercased, so re-encoding gives the one canonical spelling.

/** `uint32` as a JSON number. */
export const uint32 = z.number().int().min(0).max(MAX_UINT32)

/** `uint48` as a JSON number (always a safe integer). */
export const uint48 = z.number().int().min(0).max(MAX_UINT48)

/** An unsigned integer of `bits` bits, as a decimal string without leading zeros. */
export function uintString(bits: number) {
  const max = 2n ** BigInt(bits) - 1n
  return z
    .string()
    .max(78)
    .regex(/^(0|[1-9][0-9]*)$/, 'expected a decimal integer string without leading zeros')
    .transform((text) => BigInt(text))
    .refine((value) => value <= max, `exceeds uint${bits}`)
}

/** `uint128` token amount. */
export const uint128String = uintString(128)

/** A 20-byte address, lowercased. */
export const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, 'expected a 20-byte hex address')
  .transform((text) => text.toLowerCase() as Address)

/** A 32-byte hash, lowercased. */
export const bytes32 = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, 'expected 32 bytes of hex')
  .transform((text) => text.toLowerCase() as Hex)

/** A 65-byte `r ‖ s ‖ v` signature, lowercased. */
export const signature = z
  .string()
  .regex(/^0x[0-9a-fA-F]{130}$/, 'expected a 65-byte hex signature')
  .transform((text) => text.toLowerCase() as Hex)

/** A chain id. */
export const chainId = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER)

/** A libp2p peer id in its text form (base58btc or multibase; alphanumeric). */
export const peerId = z.string().min(1).max(128).regex(/^[A-Za-z0-9]+$/, 'expected an alphanumeric peer id')

/** A normalized GPU model, e.g. `nvidia-h100-80gb`. */
export const gpuModel = z
  .string()
  .max(64)
  .regex(/^[a-z0-9]+(-[a-z0-9]+)*$/, 'expected a normalized GPU model (lowercase words joined by "-")')

/** A runtime name. */
export const runtime = z.enum(runtimes)

/** Short human-readable text. */
export const detail = z.string().max(256)

/** Chunk bytes as standard padded base64. */
export const chunkData = z
  .string()
  .regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'expected padded base64')
  .transform((text) => base64ToBytes(text))
  .refine((bytes) => bytes.length <= MAX_CHUNK_BYTES, `exceeds ${MAX_CHUNK_BYTES} bytes`)
