import { loadAccount } from '../node/keys/loadAccount.ts'
import { watchedAddress, watchOnlyAccount } from '../node/keys/watchOnlyAccount.ts'
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

/**
 * The account a command that only reads acts as: the same address, nothing unlocked (no password asked).
 * `required: false` lets a home with no key at all read the market (the zero address stands in).
 */
export async function readOnlyAccount(settings: Settings, { required }: { required: boolean }) {
  return watchOnlyAccount(await watchedAddress({ home: settings.home, privateKey: settings.privateKey as `0x${string}` | undefined, required }))
}

async function askPassword(): Promise<string> {
  const { default: password } = await import('@inquirer/password')
  return password({ message: 'Keystore password', mask: '*' })
}
