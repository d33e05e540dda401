import { Wallet } from '@ethereumjs/wallet'
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { bytesToHex, hexToBytes, type Hex } from 'viem'
import { KeyNotFoundError, KeystoreExistsError, WrongPasswordError } from './errors.ts'

/** The keystore file in a node's home. */
export const keystoreFile = (home: string) => join(home, 'keystore.json')

/**
 * scrypt cost: 2^15 takes ~0.1 s here. geth's default (2^18) takes seconds in
 * JavaScript; every tool that reads Web3 Secret Storage v3 reads either.
 */
const scryptN = 2 ** 15

/**
 * Encrypts a private key into a Web3 Secret Storage v3 keystore (the format geth,
 * Foundry's `cast wallet` and MetaMask import) and writes it, never overwriting
 * an existing one.
 *
 * @returns the keystore's address.
 */
export async function writeKeystore({ path, privateKey, password }: { path: string; privateKey: Hex; password: string }): Promise<Hex> {
  const wallet = Wallet.fromPrivateKey(hexToBytes(privateKey))
  const json = await wallet.toV3(password, { kdf: 'scrypt', n: scryptN })
  await mkdir(dirname(path), { recursive: true })
  const temporary = `${path}.${process.pid}.tmp`
  await writeFile(temporary, `${JSON.stringify(json, null, 2)}\n`, { mode: 0o600, flag: 'wx' })
  try {
    await readFile(path)
    throw new KeystoreExistsError({ path })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      await import('node:fs/promises').then((fs) => fs.rm(temporary, { force: true }))
      throw error
    }
  }
  await rename(temporary, path)
  return wallet.getChecksumAddressString() as Hex
}

/** Decrypts a keystore file. */
export async function readKeystore({ path, password }: { path: string; password: string }): Promise<Hex> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch {
    throw new KeyNotFoundError({ path })
  }
  try {
    const wallet = await Wallet.fromV3(JSON.parse(text), password, true)
    return bytesToHex(wallet.getPrivateKey())
  } catch (error) {
    if (/pass|mac|derivation/i.test((error as Error).message)) throw new WrongPasswordError({ path })
    throw error
  }
}
