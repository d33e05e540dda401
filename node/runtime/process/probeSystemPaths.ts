import { lstat, readlink } from 'node:fs/promises'
import type { SystemPath } from './bwrapArgs.ts'

/** Top-level folders that hold programs and libraries. */
export const SYSTEM_DIRS = ['/usr', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

/**
 * Finds how this machine lays out its system folders (on merged-/usr systems
 * `/bin` is a link to `usr/bin`), so the sandbox mirrors them read-only.
 *
 * @returns The folders that exist, with their link targets.
 */
export async function probeSystemPaths(dirs: readonly string[] = SYSTEM_DIRS): Promise<SystemPath[]> {
  const found: SystemPath[] = []
  for (const path of dirs) {
    const stat = await lstat(path).catch(() => undefined)
    if (!stat) continue
    if (stat.isSymbolicLink()) found.push({ path, symlink: await readlink(path) })
    else if (stat.isDirectory()) found.push({ path })
  }
  return found
}
