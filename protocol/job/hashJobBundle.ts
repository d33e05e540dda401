import { hashParts } from './bundleEncoding.ts'
import { jobBundleParts } from './encodeJobBundle.ts'
import type { BundleFile, BundleHash } from './types.ts'

/**
 * The content hash of a job bundle: SHA-256 of its canonical encoding
 * (`encodeJobBundle`), as `0x`-prefixed hex. This is the `jobHash` that bids and
 * deal terms carry. It depends only on the paths and bytes of the files, not on
 * their order in `files`.
 *
 * @param files - The bundle's files.
 * @returns The hash (`bytes32`).
 * @throws InvalidBundlePathError, DuplicateBundlePathError
 * @example
 * const jobHash = hashJobBundle(await readBundleFolder('examples/checksum'))
 */
export function hashJobBundle(files: readonly BundleFile[]): BundleHash {
  return hashParts(jobBundleParts(files))
}
