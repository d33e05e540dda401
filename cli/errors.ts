import { BaseError } from '../protocol/errors/base.ts'

/** A command line that cannot be run as written: exit code 2. */
export class UsageError extends BaseError {
  override name = 'UsageError'
  constructor(message: string, { hint }: { hint?: string } = {}) {
    super(message, { hint: hint ?? 'Run the command with --help to see its usage.' })
  }
}

export class SettingError extends BaseError {
  override name = 'SettingError'
  constructor({ key, source, reason }: { key: string; source: string; reason: string }) {
    super(`The setting ${key} from ${source} is invalid: ${reason}.`, { hint: 'Fix it, or run `allot config show` to see where each setting comes from.' })
  }
}
