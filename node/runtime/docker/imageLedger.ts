import { readFile } from 'node:fs/promises'
import { writeFileAtomic } from '../../store/writeFileAtomic.ts'

/** Images a Docker runtime brought to its engine, least recently used first, with their sizes in bytes. */
export type ImageLedger = Map<string, number>

/**
 * Reads the ledger a provider's Docker runtime keeps in its work root, so that images loaded
 * before a restart are still its own to evict (and not mistaken for ones the engine had before).
 * A missing or unreadable file is an empty ledger: at worst some images are kept, never one removed wrongly.
 */
export async function readImageLedger(path: string): Promise<ImageLedger> {
  const text = await readFile(path, 'utf8').catch(() => undefined)
  if (text === undefined) return new Map()
  try {
    const entries = JSON.parse(text) as unknown
    if (!Array.isArray(entries)) return new Map()
    return new Map(entries.filter((entry): entry is [string, number] => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number'))
  } catch {
    return new Map()
  }
}

/** Writes the ledger whole (a temporary file renamed over the old one: a crash leaves one or the other). */
export function writeImageLedger(path: string, ledger: ImageLedger): Promise<void> {
  return writeFileAtomic(path, JSON.stringify([...ledger]))
}
