import { BaseError } from '../../protocol/errors/base.ts'

/** No provider answers for this home: none was started, or the one that wrote `control.json` is gone. */
export class ProviderNotRunningError extends BaseError {
  override name = 'ProviderNotRunningError'
  constructor({ home, reason, cause }: { home: string; reason: string; cause?: unknown }) {
    super(`No provider is running in ${home}: ${reason}.`, {
      cause,
      details: reason,
      hint: `Start one with \`allot provider start --home ${home}\`, or pass the --home of the running provider.`,
    })
  }
}

/** The running provider refused the token in `control.json`. */
export class ControlTokenRejectedError extends BaseError {
  override name = 'ControlTokenRejectedError'
  constructor({ home, url }: { home: string; url: string }) {
    super(`The provider at ${url} refused the token in ${home}/control.json.`, {
      hint: 'The file belongs to another provider run, or was edited: restart `allot provider start` in this home to write a fresh one.',
    })
  }
}

/** `control.json` exists but cannot be read or makes no sense. */
export class ControlFileUnreadableError extends BaseError {
  override name = 'ControlFileUnreadableError'
  constructor({ path, cause }: { path: string; cause?: unknown }) {
    super(`The provider's control file ${path} cannot be read.`, {
      cause,
      hint: 'Run the command as the user that started the provider (the file is readable by its owner only), or restart the provider to write it anew.',
    })
  }
}

/** The control endpoint answered, but not with what was asked. */
export class ControlRequestError extends BaseError {
  override name = 'ControlRequestError'
  constructor({ url, status, message }: { url: string; status: number; message: string }) {
    super(`The provider at ${url} answered ${status}: ${message}.`, { hint: 'Run the command again with -v; if it persists, see the provider’s terminal.' })
  }
}

/** `provider status` was asked about one market, and the provider running in the home sells in another. */
export class ProviderOnOtherMarketError extends BaseError {
  override name = 'ProviderOnOtherMarketError'
  constructor({ home, market, chosen }: { home: string; market: string; chosen: string }) {
    super(`The provider running in ${home} sells in market ${market}, not in ${chosen} (chosen by --market, ALLOT_MARKET or the config).`, {
      hint: 'Leave the market out to see it, or start a provider for that market in another home (`allot provider start --market … --home DIR`).',
    })
  }
}
