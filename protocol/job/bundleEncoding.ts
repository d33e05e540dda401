import { createHash } from 'node:crypto'
import { compareBundlePaths, sortBundlePaths } from './bundlePath.ts'
import { MalformedBundleError } from './errors.ts'
import type { BundleFile, BundleHash } from './types.ts'

// The encoding of a bundle is its canonical form: the bytes that travel, and the
// bytes that are hashed. Hashing what travels lets a receiver check a bundle
// while it streams in, with nothing to re-encode. docs/jobs.md specifies it.

/** First bytes of an encoded job bundle. */
export const JOB_BUNDLE_MAGIC = 'allot.job.v1\0'

/** First bytes of an encoded result bundle. */
export const RESULT_BUNDLE_MAGIC = 'allot.result.v1\0'

/** Most files one bundle may hold. */
export const MAX_BUNDLE_FILES = 100_000

const encoder = new TextEncoder()

/** Bytes of the header of one file entry: `u16 pathLength ‖ path ‖ u64 size`. */
export function fileHeader(path: string, size: number): Uint8Array {
  const pathBytes = encoder.encode(path)
  const header = new Uint8Array(2 + pathBytes.length + 8)
  const view = new DataView(header.buffer)
  view.setUint16(0, pathBytes.length)
  header.set(pathBytes, 2)
  view.setBigUint64(2 + pathBytes.length, BigInt(size))
  return header
}

/** `u32` big-endian. */
export function u32(value: number): Uint8Array {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setUint32(0, value)
  return bytes
}

/** `i32` big-endian (two's complement). */
export function i32(value: number): Uint8Array {
  const bytes = new Uint8Array(4)
  new DataView(bytes.buffer).setInt32(0, value)
  return bytes
}

/** `u64` big-endian length followed by the bytes. */
export function* sized(bytes: Uint8Array): Generator<Uint8Array> {
  const length = new Uint8Array(8)
  new DataView(length.buffer).setBigUint64(0, BigInt(bytes.length))
  yield length
  yield bytes
}

/**
 * The pieces of a file list in canonical order: `u32 count`, then each file's
 * header and bytes, sorted by path bytes.
 *
 * @throws InvalidBundlePathError, DuplicateBundlePathError, MalformedBundleError (too many files)
 */
export function* fileListParts(kind: 'job' | 'result', files: readonly BundleFile[]): Generator<Uint8Array> {
  if (files.length > MAX_BUNDLE_FILES) throw new MalformedBundleError({ kind, reason: `more than ${MAX_BUNDLE_FILES} files` })
  sortBundlePaths(files.map((file) => file.path))
  const sorted = [...files].sort((a, b) => compareBundlePaths(a.path, b.path))
  yield u32(sorted.length)
  for (const file of sorted) {
    yield fileHeader(file.path, file.bytes.length)
    yield file.bytes
  }
}

/** Joins encoded pieces into one buffer. */
export function concatParts(parts: Iterable<Uint8Array>): Uint8Array {
  const list = [...parts]
  const out = new Uint8Array(list.reduce((total, part) => total + part.length, 0))
  let offset = 0
  for (const part of list) {
    out.set(part, offset)
    offset += part.length
  }
  return out
}

/** SHA-256 of the concatenated pieces, without concatenating them. */
export function hashParts(parts: Iterable<Uint8Array>): BundleHash {
  const hash = createHash('sha256')
  for (const part of parts) hash.update(part)
  return `0x${hash.digest('hex')}`
}

/** Reads an encoded bundle front to back; every read checks the bytes are there. */
export class BundleReader {
  #offset = 0
  readonly #view: DataView
  constructor(
    readonly kind: 'job' | 'result',
    readonly bytes: Uint8Array,
  ) {
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }

  fail(reason: string): never {
    throw new MalformedBundleError({ kind: this.kind, reason })
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.bytes.length - this.#offset) this.fail(`truncated in ${what}`)
    const slice = this.bytes.subarray(this.#offset, this.#offset + length)
    this.#offset += length
    return slice
  }

  magic(magic: string): void {
    const expected = encoder.encode(magic)
    const actual = this.take(expected.length, 'magic')
    if (!actual.every((byte, i) => byte === expected[i])) this.fail('wrong magic (not this kind of bundle, or another version)')
  }

  u16(what: string): number {
    this.take(2, what)
    return this.#view.getUint16(this.#offset - 2)
  }

  u32(what: string): number {
    this.take(4, what)
    return this.#view.getUint32(this.#offset - 4)
  }

  i32(what: string): number {
    this.take(4, what)
    return this.#view.getInt32(this.#offset - 4)
  }

  sized(what: string): Uint8Array {
    this.take(8, what)
    const length = this.#view.getBigUint64(this.#offset - 8)
    if (length > BigInt(this.bytes.length - this.#offset)) this.fail(`truncated in ${what}`)
    return this.take(Number(length), what)
  }

  /** A file list as {@link fileListParts} writes it; refuses any order but the canonical one. */
  files(): BundleFile[] {
    const count = this.u32('file count')
    if (count > MAX_BUNDLE_FILES) this.fail(`more than ${MAX_BUNDLE_FILES} files`)
    const files: BundleFile[] = []
    const decoder = new TextDecoder('utf-8', { fatal: true })
    for (let i = 0; i < count; i++) {
      const pathBytes = this.take(this.u16('path length'), 'path')
      let path: string
      try {
        path = decoder.decode(pathBytes)
      } catch {
        this.fail(`path of file ${i} is not UTF-8`)
      }
      const previous = files[files.length - 1]
      if (previous && compareBundlePaths(previous.path, path) >= 0) this.fail(`file ${JSON.stringify(path)} is out of order or repeated`)
      files.push({ path, bytes: this.sized(`file ${JSON.stringify(path)}`) })
    }
    sortBundlePaths(files.map((file) => file.path))
    return files
  }

  end(): void {
    if (this.#offset !== this.bytes.length) this.fail(`${this.bytes.length - this.#offset} trailing bytes`)
  }
}
