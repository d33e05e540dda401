import { generateKeyPair, privateKeyFromProtobuf, privateKeyToProtobuf } from '@libp2p/crypto/keys'
import type { PrivateKey } from '@libp2p/interface'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'

/** The file in a node's home that holds its libp2p key, and so its peer id. */
export const peerKeyFile = (home: string) => join(home, 'peer.key')

/**
 * Loads the node's libp2p identity from its home, creating an Ed25519 key on first
 * start. A node restarted from the same home keeps its peer id, so the addresses
 * others saved for it (bootstrap lists, node.json) stay valid.
 */
export async function loadPeerKey(home: string): Promise<PrivateKey> {
  const path = peerKeyFile(home)
  try {
    return privateKeyFromProtobuf(await readFile(path))
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error
  }
  const key = await generateKeyPair('Ed25519')
  await writeFileAtomic(path, privateKeyToProtobuf(key), { mode: 0o600 })
  return key
}
