import type { Hex } from 'viem'
import type { Sublevel } from '../../store/openStore.ts'
import type { EventCursor } from './types.ts'

/** Where an event follower keeps its cursor between runs. */
export type CursorStore = {
  load: () => Promise<EventCursor | undefined>
  save: (cursor: EventCursor) => Promise<void>
  clear: () => Promise<void>
}

/** A cursor as JSON: level values have no bigint. */
export type StoredCursor = { block: string; hash?: Hex | undefined; savedAt: number }

/**
 * A cursor kept under `key` in a level sublevel (conventionally `store.sublevel('cursors')`), so a
 * restarted follower resumes after the last block it fully handled.
 *
 * @example
 * const cursor = levelCursorStore(store.sublevel('cursors'), `keeper:${deployment.market}`)
 */
export function levelCursorStore(sublevel: Sublevel<StoredCursor>, key: string): CursorStore {
  return {
    async load() {
      const stored = await sublevel.get(key)
      return stored === undefined ? undefined : { block: BigInt(stored.block), hash: stored.hash }
    },
    save: (cursor) => sublevel.put(key, { block: cursor.block.toString(), hash: cursor.hash, savedAt: Date.now() }),
    clear: () => sublevel.del(key),
  }
}

/** A cursor that lives only as long as the process: for tests and one-off scans. */
export function memoryCursorStore(initial?: EventCursor): CursorStore {
  let cursor = initial
  return {
    load: async () => cursor,
    save: async (next) => void (cursor = next),
    clear: async () => void (cursor = undefined),
  }
}
