import { constants } from 'node:fs'
import { open } from 'node:fs/promises'
import type { BundleFile } from '../../protocol/job/types.ts'
import { BundleTooLargeError } from './errors.ts'
import { walkFolder } from './walkFolder.ts'

export type ReadBundleFolderParameters = {
  /** Refuse folders holding more than this many bytes. Default: no limit. */
  maxBytes?: number | undefined
  /** `throw` (default) refuses a folder with a link or special file; `skip` leaves them out (for job output). */
  onSpecial?: 'throw' | 'skip' | undefined
  signal?: AbortSignal | undefined
}

/**
 * Reads a folder into the `{ path, bytes }` list the bundle functions take
 * (`hashJobBundle`, `encodeJobBundle`, …). Symbolic links are never followed.
 *
 * @param dir - The folder.
 * @returns Its regular files, paths relative to `dir`.
 * @throws UnsafeBundleFolderError, BundleTooLargeError
 * @example
 * const jobHash = hashJobBundle(await readBundleFolder('examples/checksum'))
 */
export async function readBundleFolder(dir: string, parameters: ReadBundleFolderParameters = {}): Promise<BundleFile[]> {
  const { maxBytes = Number.POSITIVE_INFINITY, onSpecial, signal } = parameters
  const files = await walkFolder(dir, { onSpecial, signal })
  if (files.reduce((total, file) => total + file.size, 0) > maxBytes) throw new BundleTooLargeError({ path: dir, maxBytes })
  const out: BundleFile[] = []
  for (const file of files) {
    signal?.throwIfAborted()
    // O_NOFOLLOW: a link swapped in after the walk is refused, not followed.
    const handle = await open(file.absolute, constants.O_RDONLY | constants.O_NOFOLLOW)
    try {
      out.push({ path: file.path, bytes: new Uint8Array(await handle.readFile()) })
    } finally {
      await handle.close()
    }
  }
  return out
}
