import type { Hex } from 'viem'
import { askCancelTypes, askTypes, bidTypes } from '../../protocol/eip712/types.ts'
import { marketDomain } from '../../protocol/eip712/marketDomain.ts'
import type { Ask, AskCancel } from '../../protocol/types/ask.ts'
import type { Bid } from '../../protocol/types/bid.ts'
import type { MarketParameters } from '../../protocol/types/resources.ts'
import { keccak256 } from './keccak256.ts'

type Field = { readonly name: string; readonly type: string }
type Types = Record<string, readonly Field[]>

/** A function from a message to its 32-byte EIP-712 digest under one market's domain. */
export type TypedDataHasher<message> = (message: message, market: MarketParameters) => Uint8Array

const hash = keccak256

// Model names, runtimes and peer ids repeat across a book, so their hashes are kept.
const stringHashes = new Map<string, Uint8Array>()
function hashString(text: string): Uint8Array {
  let digest = stringHashes.get(text)
  if (digest) return digest
  digest = hash(Buffer.from(text, 'utf8'))
  if (stringHashes.size >= 4096) stringHashes.clear()
  stringHashes.set(text, digest)
  return digest
}

function writeUint(out: Uint8Array, offset: number, value: unknown): void {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value) || value < 0) throw new TypeError(`expected an unsigned integer, got ${value}`)
    const view = new DataView(out.buffer, out.byteOffset + offset + 24, 8)
    view.setUint32(0, Math.floor(value / 2 ** 32))
    view.setUint32(4, value >>> 0)
    return
  }
  if (typeof value !== 'bigint' || value < 0n || value >= 2n ** 256n) throw new TypeError(`expected an unsigned integer, got ${String(value)}`)
  let rest = value
  for (let index = offset + 31; rest > 0n; index--) {
    out[index] = Number(rest & 0xffn)
    rest >>= 8n
  }
}

function writeHex(out: Uint8Array, offset: number, value: unknown, size: number, left: boolean): void {
  if (typeof value !== 'string' || value.length !== 2 + size * 2 || !/^0x[0-9a-fA-F]*$/.test(value))
    throw new TypeError(`expected ${size} bytes of hex, got ${String(value)}`)
  out.set(Buffer.from(value.slice(2), 'hex'), left ? offset + 32 - size : offset)
}

/** `encodeType` of EIP-712: the primary type, then the types it references in alphabetical order. */
function encodeType(types: Types, primaryType: string): string {
  const found = new Set<string>()
  const visit = (type: string) => {
    const base = type.replace(/\[\]$/, '')
    if (found.has(base) || !types[base]) return
    found.add(base)
    for (const field of types[base]!) visit(field.type)
  }
  visit(primaryType)
  found.delete(primaryType)
  return [primaryType, ...[...found].sort()]
    .map((type) => `${type}(${types[type]!.map((field) => `${field.type} ${field.name}`).join(',')})`)
    .join('')
}

/**
 * Compiles EIP-712 struct hashing for one set of types into closures that work on
 * bytes: the same digest as viem's `hashTypedData`, without its per-call
 * validation and hex round trips, which cost more than the signature recovery
 * they precede (TOOLCHAIN.md). Supports what allot's types use: structs, arrays
 * of them, `string`, `address`, `bytes32` and `uintN`.
 *
 * @param types - The EIP-712 types (from `protocol/eip712/types.ts`).
 * @param primaryType - The signed struct.
 * @returns A hasher from a message and a market to the 32-byte digest.
 * @example
 * const askDigest = createTypedDataHasher<Ask>(askTypes, 'Ask')
 * toHex(askDigest(ask, { chainId, market })) === hashAsk(ask, { chainId, market })
 */
export function createTypedDataHasher<message>(types: Types, primaryType: string): TypedDataHasher<message> {
  const typeHashes = new Map(Object.keys(types).map((type) => [type, hashString(encodeType(types, type))]))

  const encodeField = (type: string, value: unknown, out: Uint8Array, offset: number): void => {
    if (type.endsWith('[]')) {
      if (!Array.isArray(value)) throw new TypeError(`expected an array for ${type}`)
      const element = type.slice(0, -2)
      const items = new Uint8Array(32 * value.length)
      value.forEach((item, index) => encodeField(element, item, items, 32 * index))
      out.set(hash(items), offset)
    } else if (types[type]) out.set(hashStruct(type, value), offset)
    else if (type === 'string') out.set(hashString(String(value)), offset)
    else if (type === 'address') writeHex(out, offset, value, 20, true)
    else if (type === 'bytes32') writeHex(out, offset, value, 32, false)
    else if (type.startsWith('uint')) writeUint(out, offset, value)
    else throw new TypeError(`unsupported EIP-712 type ${type}`)
  }

  // Nested structs (resources, GPUs, prices) repeat across a provider's asks.
  const nestedHashes = new Map<string, Uint8Array>()
  const hashStruct = (type: string, value: unknown): Uint8Array => {
    if (type === primaryType) return encodeStruct(type, value)
    const key = `${type}:${JSON.stringify(value, (_, item) => (typeof item === 'bigint' ? `${item}n` : item))}`
    let digest = nestedHashes.get(key)
    if (!digest) {
      digest = encodeStruct(type, value)
      if (nestedHashes.size >= 4096) nestedHashes.clear()
      nestedHashes.set(key, digest)
    }
    return digest
  }

  const encodeStruct = (type: string, value: unknown): Uint8Array => {
    const fields = types[type]!
    const out = new Uint8Array(32 * (fields.length + 1))
    out.set(typeHashes.get(type)!, 0)
    const record = value as Record<string, unknown>
    fields.forEach((field, index) => encodeField(field.type, record[field.name], out, 32 * (index + 1)))
    return hash(out)
  }

  const domainSeparators = new Map<string, Uint8Array>()
  const domainSeparator = (market: MarketParameters): Uint8Array => {
    const key = `${market.chainId}:${market.market.toLowerCase()}`
    let separator = domainSeparators.get(key)
    if (!separator) {
      const domain = marketDomain(market)
      const out = new Uint8Array(32 * 5)
      out.set(domainTypeHash, 0)
      out.set(hashString(domain.name), 32)
      out.set(hashString(domain.version), 64)
      writeUint(out, 96, domain.chainId)
      writeHex(out, 128, domain.verifyingContract, 20, true)
      separator = hash(out)
      if (domainSeparators.size >= 64) domainSeparators.clear()
      domainSeparators.set(key, separator)
    }
    return separator
  }

  return (message, market) => {
    const out = new Uint8Array(66)
    out[0] = 0x19
    out[1] = 0x01
    out.set(domainSeparator(market), 2)
    out.set(hashStruct(primaryType, message), 34)
    return hash(out)
  }
}

const domainTypeHash = hashString('EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)')

/** The EIP-712 digest of an ask (equal to `hashAsk`), as bytes. */
export const askDigest: TypedDataHasher<Ask> = createTypedDataHasher<Ask>(askTypes, 'Ask')

/** The EIP-712 digest of a bid (equal to `hashBid`), as bytes. */
export const bidDigest: TypedDataHasher<Bid> = createTypedDataHasher<Bid>(bidTypes, 'Bid')

/** The EIP-712 digest of an ask cancel (equal to `hashAskCancel`), as bytes. */
export const askCancelDigest: TypedDataHasher<AskCancel> = createTypedDataHasher<AskCancel>(askCancelTypes, 'AskCancel')

/** Bytes as `0x`-prefixed lowercase hex. */
export const bytesToHex = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex')}`
