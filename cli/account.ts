import { loadAccount } from '../node/keys/loadAccount.ts'
import type { Settings } from './settings.ts'

/** The account a command acts as, from --private-key / ALLOT_PRIVATE_KEY or the home's keystore. */
export function commandAccount(settings: Settings) {
  return loadAccount({
    home: settings.home,
    privateKey: settings.privateKey as `0x${string}` | undefined,
    password: settings.password,
    askPassword: process.stdin.isTTY ? askPassword : undefined,
  })
}

async function askPassword(): Promise<string> {
  const { default: password } = await import('@inquirer/password')
  return password({ message: 'Keystore password', mask: '*' })
}
