import { concatParts, fileListParts, i32, RESULT_BUNDLE_MAGIC, sized } from './bundleEncoding.ts'
import type { ResultBundle } from './types.ts'

const encoder = new TextEncoder()

/** The pieces of an encoded result bundle, in order (what {@link encodeResultBundle} joins). */
export function* resultBundleParts(result: ResultBundle): Generator<Uint8Array> {
  if (!Number.isInteger(result.exitCode) || result.exitCode < -(2 ** 31) || result.exitCode >= 2 ** 31)
    throw new RangeError(`exit code ${result.exitCode} is not an int32`)
  yield encoder.encode(RESULT_BUNDLE_MAGIC)
  yield i32(result.exitCode)
  yield* sized(result.stdout)
  yield* sized(result.stderr)
  yield* fileListParts('result', result.files)
}

/**
 * Encodes a result bundle canonically: the magic `allot.result.v1\0`, the exit
 * code (`i32`), stdout and stderr (each `u64` length then bytes), then the
 * output files as in a job bundle.
 *
 * @param result - Exit code, stdout, stderr and the output folder's files.
 * @returns The encoded bundle (what travels back to the client).
 * @throws InvalidBundlePathError, DuplicateBundlePathError
 */
export function encodeResultBundle(result: ResultBundle): Uint8Array {
  return concatParts(resultBundleParts(result))
}
