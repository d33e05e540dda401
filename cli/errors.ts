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

/** The --params file of `allot market create` cannot be read as market parameters. */
export class MarketParamsFileError extends BaseError {
  override name = 'MarketParamsFileError'
  constructor({ path, reason }: { path: string; reason: string }) {
    super(`The market parameters file ${path} cannot be used: ${reason}.`, {
      hint: 'Shape it like contracts/params/defaultMarket.json: a JSON object of parameter names to integers (basis points and seconds); fields left out keep the defaults.',
    })
  }
}

/** `allot claim` found credits, but all of them still vesting: nothing can be sent yet. */
export class CreditsStillVestingError extends BaseError {
  override name = 'CreditsStillVestingError'
  /** @param vesting What vests and when, e.g. `400 ALS claimable from 13 Dec 2026, 10:00:00`. @param from The first date. */
  constructor({ vesting, from }: { vesting: string; from: string }) {
    super(
      `Nothing is claimable yet: what was taken from a defaulted provider for you (compensation or keeper bonus) is still vesting: ${vesting}. It waits one to two unbonding periods so that a provider's collateral never leaves faster than a withdrawal would.`,
      { hint: `Run \`allot claim\` again from ${from}; \`allot balance\` shows what is vesting.` },
    )
  }
}
