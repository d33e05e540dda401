import { readFile } from 'node:fs/promises'
import { getAddress, zeroAddress, type Address } from 'viem'
import { privateKeyToAddress, toAccount, type LocalAccount } from 'viem/accounts'
import { KeyNotFoundError, WatchOnlyAccountError } from './errors.ts'
import { keystoreFile } from './keystore.ts'

/**
 * An account that has an address and refuses to sign: what a command that only reads
 * (`market list`, `balance`, `job status`) acts as, so it never asks for a password.
 */
export function watchOnlyAccount(address: Address): LocalAccount {
  const refuse = (action: string) => async (): Promise<never> => {
    throw new WatchOnlyAccountError({ address, action })
  }
  return toAccount({ address, signMessage: refuse('sign a message'), signTransaction: refuse('sign a transaction'), signTypedData: refuse('sign typed data') })
}

export type WatchedAddressParameters = {
  home: string
  privateKey?: `0x${string}` | undefined
  /** Without a key anywhere: `false` answers the zero address (commands that need no one's balance), `true` throws. */
  required: boolean
}

/**
 * The address a home acts as, read without unlocking anything: from a raw key, or from
 * the keystore's own (unencrypted) `address` field.
 *
 * @throws KeyNotFoundError when `required` and there is neither.
 */
export async function watchedAddress({ home, privateKey, required }: WatchedAddressParameters): Promise<Address> {
  if (privateKey) return privateKeyToAddress(privateKey)
  const path = keystoreFile(home)
  const text = await readFile(path, 'utf8').catch(() => undefined)
  const address = text === undefined ? undefined : (JSON.parse(text) as { address?: string }).address
  if (address) return getAddress(address.startsWith('0x') ? address : `0x${address}`)
  if (required) throw new KeyNotFoundError({ path })
  return zeroAddress
}
