import { concatParts, fileListParts, JOB_BUNDLE_MAGIC } from './bundleEncoding.ts'
import type { BundleFile } from './types.ts'

const encoder = new TextEncoder()

/** The pieces of an encoded job bundle, in order (what {@link encodeJobBundle} joins). */
export function* jobBundleParts(files: readonly BundleFile[]): Generator<Uint8Array> {
  yield encoder.encode(JOB_BUNDLE_MAGIC)
  yield* fileListParts('job', files)
}

/**
 * Encodes a job bundle canonically: the magic `allot.job.v1\0`, the file count,
 * then each file (`u16` path length, path, `u64` size, bytes) in the byte order
 * of their paths. Any order of `files` gives the same bytes.
 *
 * @param files - The bundle's files, `allot.job.json` among them.
 * @returns The encoded bundle (what travels to the provider).
 * @throws InvalidBundlePathError, DuplicateBundlePathError
 * @example
 * const bytes = encodeJobBundle([{ path: 'allot.job.json', bytes: manifestBytes }, { path: 'main.wasm', bytes: module }])
 */
export function encodeJobBundle(files: readonly BundleFile[]): Uint8Array {
  return concatParts(jobBundleParts(files))
}
