import { BaseError } from '../../protocol/errors/base.ts'

export class KeyNotFoundError extends BaseError {
  override name = 'KeyNotFoundError'
  constructor({ path }: { path: string }) {
    super(`No key in ${path}.`, { hint: 'Create one with `allot init`, or pass --private-key (env ALLOT_PRIVATE_KEY).' })
  }
}

export class WrongPasswordError extends BaseError {
  override name = 'WrongPasswordError'
  constructor({ path }: { path: string }) {
    super(`The password does not unlock the keystore ${path}.`, { hint: 'Check ALLOT_PASSWORD, or the password you typed.' })
  }
}

export class PasswordRequiredError extends BaseError {
  override name = 'PasswordRequiredError'
  constructor({ path }: { path: string }) {
    super(`The keystore ${path} needs a password and there is no terminal to ask for one.`, { hint: 'Set ALLOT_PASSWORD.' })
  }
}

export class KeystoreExistsError extends BaseError {
  override name = 'KeystoreExistsError'
  constructor({ path }: { path: string }) {
    super(`A keystore already exists at ${path}; it was left as it is.`, { hint: 'Use another --home, or move the file away first.' })
  }
}

export class WatchOnlyAccountError extends BaseError {
  override name = 'WatchOnlyAccountError'
  constructor({ address, action }: { address: string; action: string }) {
    super(`This command only reads the chain, so ${address} was not unlocked and cannot ${action}.`, {
      hint: 'Use a command that acts (job submit, stake deposit, claim …): it unlocks the key.',
    })
  }
}
