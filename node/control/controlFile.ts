import { readFile, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { z } from 'zod'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'
import { ControlFileUnreadableError } from './errors.ts'

const controlFileSchema = z.object({
  url: z.string().regex(/^http:\/\/127\.0\.0\.1:\d+$/),
  token: z.string().regex(/^[0-9a-f]{64}$/),
  pid: z.number().int().positive(),
})

/** Where a running provider's control endpoint listens, and the token it wants: `<home>/control.json`. */
export type ControlFile = z.infer<typeof controlFileSchema>

export const controlFilePath = (home: string) => join(home, 'control.json')

/** Writes `control.json` readable and writable by its owner only: the token is the only guard of the endpoint. */
export function writeControlFile(home: string, file: ControlFile): Promise<void> {
  return writeFileAtomic(controlFilePath(home), `${JSON.stringify(file, null, 2)}\n`, { mode: 0o600 })
}

/** The home's control file, or `undefined` when there is none. */
export async function readControlFile(home: string): Promise<ControlFile | undefined> {
  const path = controlFilePath(home)
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new ControlFileUnreadableError({ path, cause: error })
  }
  try {
    return controlFileSchema.parse(JSON.parse(text))
  } catch (error) {
    throw new ControlFileUnreadableError({ path, cause: error })
  }
}

/** Removes the control file if it is still the one `token` wrote (a newer provider run may have replaced it). */
export async function removeControlFile(home: string, token: string): Promise<void> {
  const current = await readControlFile(home).catch(() => undefined)
  if (current?.token === token) await rm(controlFilePath(home), { force: true })
}
