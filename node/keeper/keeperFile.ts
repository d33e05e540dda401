import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { Address, Hex } from 'viem'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'

/**
 * What a running keeper says about itself in `<home>/keeper.json`, so `allot keeper status`
 * can answer while the keeper holds the home's database.
 */
export type KeeperFile = {
  address: Address
  market: Address
  chainId: number
  pid: number
  startedAt: string
  /** Set when the keeper stopped cleanly. */
  stoppedAt?: string
  /** The last block whose events it handled. */
  cursor: { block: string; hash?: Hex | undefined } | null
  updatedAt: string
}

export const keeperFilePath = (home: string) => join(home, 'keeper.json')

export function writeKeeperFile(home: string, file: KeeperFile): Promise<void> {
  return writeFileAtomic(keeperFilePath(home), `${JSON.stringify(file, null, 2)}\n`)
}

/** The home's keeper file, or `undefined` when no keeper ever ran there. */
export async function readKeeperFile(home: string): Promise<KeeperFile | undefined> {
  try {
    return JSON.parse(await readFile(keeperFilePath(home), 'utf8')) as KeeperFile
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}
