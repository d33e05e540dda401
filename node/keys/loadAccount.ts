import { nonceManager } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { existsSync } from 'node:fs'
import { KeyNotFoundError, PasswordRequiredError } from './errors.ts'
import { keystoreFile, readKeystore } from './keystore.ts'

export type LoadAccountParameters = {
  home: string
  /** A raw key (from --private-key or ALLOT_PRIVATE_KEY) wins over the keystore. */
  privateKey?: `0x${string}`
  password?: string
  /** Asks for the password when none is given; absent where there is no terminal. */
  askPassword?: () => Promise<string>
}

/**
 * The account a command acts as: a raw key when one is given, else the home's
 * keystore unlocked with the password (given, or asked for).
 */
export async function loadAccount({ home, privateKey, password, askPassword }: LoadAccountParameters): Promise<PrivateKeyAccount> {
  // A nonce manager lets one process send several transactions at once (jobs submitted in parallel).
  if (privateKey) return privateKeyToAccount(privateKey, { nonceManager })
  const path = keystoreFile(home)
  if (!existsSync(path)) throw new KeyNotFoundError({ path })
  let secret = password
  if (secret === undefined) {
    if (!askPassword) throw new PasswordRequiredError({ path })
    secret = await askPassword()
  }
  return privateKeyToAccount(await readKeystore({ path, password: secret }), { nonceManager })
}
