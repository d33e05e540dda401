import { hashParts } from './bundleEncoding.ts'
import { resultBundleParts } from './encodeResultBundle.ts'
import type { BundleHash, ResultBundle } from './types.ts'

/**
 * The content hash of a result bundle: SHA-256 of its canonical encoding
 * (`encodeResultBundle`). The provider commits it on-chain; the client checks
 * the bundle it downloads against it before it settles.
 *
 * @param result - Exit code, stdout, stderr and output files.
 * @returns The hash (`bytes32`).
 * @example
 * const resultHash = hashResultBundle({ exitCode: 0, stdout, stderr, files })
 */
export function hashResultBundle(result: ResultBundle): BundleHash {
  return hashParts(resultBundleParts(result))
}
