import { constants } from 'node:fs'
import { access } from 'node:fs/promises'
import { delimiter, isAbsolute, join } from 'node:path'

/**
 * Finds a program the way a shell would, on `PATH`.
 *
 * @param name - A program name, or an absolute path to check.
 * @returns Its absolute path, or `undefined` when it is not there or not executable.
 */
export async function findExecutable(name: string, path: string = process.env.PATH ?? '/usr/bin:/bin'): Promise<string | undefined> {
  const candidates = isAbsolute(name) ? [name] : path.split(delimiter).filter(Boolean).map((dir) => join(dir, name))
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not here; the next one.
    }
  }
  return undefined
}
