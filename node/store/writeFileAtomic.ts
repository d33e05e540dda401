import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

/**
 * Writes a file through a temporary name and a rename, creating its folder:
 * a reader, or a process killed mid-write, sees the whole file or none of it.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, { mode }: { mode?: number } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, data, mode === undefined ? {} : { mode })
  await rename(temporary, path)
}
