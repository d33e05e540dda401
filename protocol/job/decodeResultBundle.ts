import { BundleReader, RESULT_BUNDLE_MAGIC } from './bundleEncoding.ts'
import type { ResultBundle } from './types.ts'

/**
 * Decodes a result bundle encoded by `encodeResultBundle`; only the canonical
 * encoding is accepted.
 *
 * @param bytes - The encoded bundle.
 * @returns The result; its byte fields are views into `bytes`.
 * @throws MalformedBundleError, InvalidBundlePathError, DuplicateBundlePathError
 */
export function decodeResultBundle(bytes: Uint8Array): ResultBundle {
  const reader = new BundleReader('result', bytes)
  reader.magic(RESULT_BUNDLE_MAGIC)
  const exitCode = reader.i32('exit code')
  const stdout = reader.sized('stdout')
  const stderr = reader.sized('stderr')
  const files = reader.files()
  reader.end()
  return { exitCode, stdout, stderr, files }
}
