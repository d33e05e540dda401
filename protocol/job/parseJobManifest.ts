import { schemaIssues } from '../codec/schemaIssues.ts'
import { InvalidJobManifestError } from './errors.ts'
import { type JobManifest, jobManifestSchema } from './jobManifestSchema.ts'

export type ParseJobManifestErrorType = InvalidJobManifestError

/**
 * Reads a job manifest from its JSON value or its file's bytes or text.
 *
 * @param input - The bytes or text of `allot.job.json`, or its parsed JSON value.
 * @returns The manifest, defaults filled in.
 * @throws InvalidJobManifestError naming the first failing path (e.g. `limits.memoryMiB`).
 * @example
 * const manifest = parseJobManifest(await readFile('allot.job.json'))
 */
export function parseJobManifest(input: Uint8Array | string | unknown): JobManifest {
  let value = input
  if (typeof input === 'string' || input instanceof Uint8Array) {
    const text = typeof input === 'string' ? input : decodeUtf8(input)
    try {
      value = JSON.parse(text)
    } catch (cause) {
      throw new InvalidJobManifestError({ issues: [{ path: '', message: 'not JSON' }], cause })
    }
  }
  const parsed = jobManifestSchema.safeParse(value)
  if (!parsed.success) throw new InvalidJobManifestError({ issues: schemaIssues(parsed.error) })
  return parsed.data
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes)
  } catch (cause) {
    throw new InvalidJobManifestError({ issues: [{ path: '', message: 'not UTF-8' }], cause })
  }
}
