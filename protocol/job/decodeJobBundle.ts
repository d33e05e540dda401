import { BundleReader, JOB_BUNDLE_MAGIC } from './bundleEncoding.ts'
import type { BundleFile } from './types.ts'

/**
 * Decodes a job bundle encoded by `encodeJobBundle`. Only the canonical
 * encoding is accepted (paths valid, strictly ascending, no trailing bytes), so
 * the hash of the bytes received is always the bundle's content hash.
 *
 * @param bytes - The encoded bundle.
 * @returns The files, sorted by path; their `bytes` are views into `bytes`.
 * @throws MalformedBundleError, InvalidBundlePathError, DuplicateBundlePathError
 */
export function decodeJobBundle(bytes: Uint8Array): BundleFile[] {
  const reader = new BundleReader('job', bytes)
  reader.magic(JOB_BUNDLE_MAGIC)
  const files = reader.files()
  reader.end()
  return files
}
