import { lstat, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { UnsafeBundleFolderError } from './errors.ts'

/** A regular file found by {@link walkFolder}. */
export type FolderFile = {
  /** Path relative to the folder, `/`-separated. */
  path: string
  /** Absolute path on this machine. */
  absolute: string
  size: number
  mode: number
}

export type WalkFolderParameters = {
  /** What to do on a symbolic link, device, socket or FIFO: refuse the folder, or leave the entry out. */
  onSpecial?: 'throw' | 'skip' | undefined
  signal?: AbortSignal | undefined
}

/**
 * Lists the regular files under a folder without following symbolic links, so
 * that a link a job planted can never make the provider read outside the folder.
 *
 * @returns The files, in no particular order; none when `dir` does not exist.
 * @throws UnsafeBundleFolderError on a special entry when `onSpecial` is `throw` (the default).
 */
export async function walkFolder(dir: string, { onSpecial = 'throw', signal }: WalkFolderParameters = {}): Promise<FolderFile[]> {
  const files: FolderFile[] = []
  const root = await lstat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined
    throw error
  })
  if (!root) return files
  if (!root.isDirectory()) {
    if (onSpecial === 'throw') throw new UnsafeBundleFolderError({ path: dir, kind: root.isSymbolicLink() ? 'symbolic link' : 'not a folder' })
    return files
  }
  const visit = async (relative: string): Promise<void> => {
    signal?.throwIfAborted()
    const entries = await readdir(join(dir, relative), { withFileTypes: true })
    for (const entry of entries) {
      const path = relative ? `${relative}/${entry.name}` : entry.name
      const absolute = join(dir, path)
      if (entry.isDirectory()) await visit(path)
      else if (entry.isFile()) {
        const stat = await lstat(absolute)
        files.push({ path, absolute, size: stat.size, mode: stat.mode })
      } else if (onSpecial === 'throw') {
        throw new UnsafeBundleFolderError({ path: absolute, kind: entry.isSymbolicLink() ? 'symbolic link' : 'special file' })
      }
    }
  }
  await visit('')
  return files
}

/**
 * Total size of the regular files under a folder (links not followed).
 *
 * @returns Bytes; 0 when the folder does not exist.
 */
export async function folderBytes(dir: string, { signal }: { signal?: AbortSignal | undefined } = {}): Promise<number> {
  const files = await walkFolder(dir, { onSpecial: 'skip', signal })
  return files.reduce((total, file) => total + file.size, 0)
}
