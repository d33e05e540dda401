import { lchown, readdir } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * Gives a folder and everything in it to a user, without following links
 * (lchown), so a link planted by a job cannot hand over anything outside it.
 */
export async function chownTree(dir: string, uid: number, gid: number): Promise<void> {
  await lchown(dir, uid, gid)
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) await chownTree(path, uid, gid)
    else await lchown(path, uid, gid)
  }
}
