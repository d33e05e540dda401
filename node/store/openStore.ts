import type { AbstractSublevel } from 'abstract-level'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { Level } from 'level'

/** A named part of the node's database: JSON values under string keys. */
export type Sublevel<V> = AbstractSublevel<Level<string, unknown>, string | Uint8Array | Buffer, string, V>

export type Store = {
  db: Level<string, unknown>
  /** A named part of the database (`orders`, `jobs`, `deals`, `cursors`, …). */
  sublevel: <V>(name: string) => Sublevel<V>
  close: () => Promise<void>
}

/**
 * Opens the node's LevelDB under `<home>/db`. Values are JSON; bigints must be
 * written as decimal strings by the caller (JSON has no bigint).
 *
 * @example
 * const store = await openStore(home)
 * const jobs = store.sublevel<JobRecord>('jobs')
 */
export async function openStore(home: string): Promise<Store> {
  const path = join(home, 'db')
  await mkdir(path, { recursive: true })
  const db = new Level<string, unknown>(path, { valueEncoding: 'json' })
  await db.open()
  return {
    db,
    sublevel: <V>(name: string) => db.sublevel<string, V>(name, { valueEncoding: 'json' }) as Sublevel<V>,
    close: () => db.close(),
  }
}
