import { BaseError as ViemBaseError, ContractFunctionRevertedError, HttpRequestError, TimeoutError, WebSocketRequestError } from 'viem'
import { BaseError } from '../../protocol/errors/base.ts'

/** Removes `user:password@` and query strings, which often hold API keys, from an RPC URL. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.username = ''
    parsed.password = ''
    parsed.search = ''
    return parsed.toString().replace(/\/$/, '')
  } catch {
    return '<invalid url>'
  }
}

export class AnvilStartError extends BaseError {
  override name = 'AnvilStartError'
  constructor({ reason, output, cause }: { reason: string; output: string; cause?: unknown }) {
    const busy = /address already in use/i.test(output)
    const missing = (cause as { code?: string } | undefined)?.code === 'ENOENT'
    super(busy ? `The local chain (anvil) did not start: its port is already in use.` : `The local chain (anvil) did not start: ${reason}.`, {
      metaMessages: output.trim() ? ['anvil said:', ...output.trim().split('\n').slice(-5)] : undefined,
      hint: busy
        ? 'Another chain (perhaps another `allot chain dev`) listens there: stop it, or pick another port with --port (0 for any free one).'
        : missing
          ? 'Run `npm install` so that @foundry-rs/anvil is present, or put anvil on PATH.'
          : 'Read what anvil said above; run the command with -v for more.',
      cause,
    })
  }
}

/** The local chain stopped while `allot chain dev` served it: its state is gone with it. */
export class AnvilExitedError extends BaseError {
  override name = 'AnvilExitedError'
  constructor({ code, signal, output }: { code: number | null; signal: string | null; output: string }) {
    super(`The local chain (anvil) stopped unexpectedly (${signal ? `killed by ${signal}` : `exit code ${code}`}); its deals and balances are gone with it.`, {
      metaMessages: output.trim() ? ['anvil said:', ...output.trim().split('\n').slice(-5)] : undefined,
      hint: 'Start it again with `allot chain dev`; running nodes resync once it is back. Check free memory and disk if it happens again.',
    })
  }
}

export class ChainUnreachableError extends BaseError {
  override name = 'ChainUnreachableError'
  readonly url: string
  constructor({ url, cause }: { url: string; cause?: unknown }) {
    const shown = redactUrl(url)
    super(`The chain at ${shown} cannot be reached.`, {
      // viem's own message repeats the raw URL, credentials and all, so it is not passed on.
      details: 'the connection was refused, dropped or timed out',
      hint: 'Start one with `allot chain dev`, or point at another with --rpc URL (or ALLOT_RPC).',
    })
    this.url = shown
  }
}

/** A contract call reverted; `errorName` and `args` are the decoded custom error. */
export class ContractRevertError extends BaseError {
  override name = 'ContractRevertError'
  readonly functionName: string
  readonly errorName: string
  readonly args: readonly unknown[]
  constructor({ functionName, errorName, args, cause }: { functionName: string; errorName: string; args: readonly unknown[]; cause?: unknown }) {
    const shown = args.map((arg) => (typeof arg === 'bigint' ? arg.toString() : JSON.stringify(arg))).join(', ')
    super(`${functionName} reverted with ${errorName}(${shown}).`, { cause, details: describeRevert(errorName) })
    this.functionName = functionName
    this.errorName = errorName
    this.args = args
  }
}

export class DeploymentNotFoundError extends BaseError {
  override name = 'DeploymentNotFoundError'
  constructor({ path, cause }: { path: string; cause?: unknown }) {
    super(`No deployment file at ${path}.`, {
      hint: 'Run `allot chain dev` to start a local market, or pass --deployment FILE.',
      cause,
    })
  }
}

export class ChainMismatchError extends BaseError {
  override name = 'ChainMismatchError'
  constructor({ expected, actual }: { expected: number; actual: number }) {
    super(`The deployment is for chain ${expected} but the RPC endpoint serves chain ${actual}.`, {
      hint: 'Pass the --rpc URL of the chain the deployment file was written for.',
    })
  }
}

const revertDescriptions: Record<string, string> = {
  InsufficientCollateral: 'the provider has not staked enough collateral to back this deal',
  StalePrice: 'the collateral price feed is older than its maximum age',
}

function describeRevert(errorName: string): string | undefined {
  return revertDescriptions[errorName]
}

/**
 * Turns what viem throws into one of allot's errors: a revert becomes a
 * `ContractRevertError` naming the custom error, a transport failure a
 * `ChainUnreachableError` with the URL stripped of credentials. Anything else
 * is returned unchanged.
 */
export function toChainError(error: unknown, { functionName, rpcUrl }: { functionName: string; rpcUrl?: string }): unknown {
  if (!(error instanceof ViemBaseError)) return error
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
  if (reverted) {
    const errorName = reverted.data?.errorName ?? reverted.reason ?? 'unknown'
    return new ContractRevertError({ functionName, errorName, args: reverted.data?.args ?? [], cause: error })
  }
  const transport = error.walk((e) => e instanceof HttpRequestError || e instanceof WebSocketRequestError || e instanceof TimeoutError)
  if (transport) return new ChainUnreachableError({ url: rpcUrl ?? (transport as HttpRequestError).url ?? 'unknown', cause: error })
  return error
}

/** `--market` (or ALLOT_MARKET, or the config key) names an address the deployment's factory never created. */
export class UnknownMarketError extends BaseError {
  override name = 'UnknownMarketError'
  readonly market: string
  constructor({ market, factory }: { market: string; factory?: string | undefined }) {
    super(
      factory
        ? `There is no market at ${market}: the market factory ${factory} of this deployment never created it.`
        : `There is no market at ${market} in this deployment: its file names no market factory, only the default market.`,
      { hint: 'Run `allot market list` to see the markets you can use, or leave --market (and ALLOT_MARKET) out to use the default one.' },
    )
    this.market = market
  }
}

/** How a market parameter reads to a person: basis points as a percentage, windows in seconds. */
function describeParameterValue(field: string, value: number): string {
  if (field.endsWith('Bps')) return `${value / 100}%`
  const unit = [[86_400, 'd'], [3600, 'h'], [60, 'min']].find(([seconds]) => value > 0 && value % (seconds as number) === 0)
  return unit ? `${value / (unit[0] as number)} ${unit[1]}` : `${value} s`
}

type ParameterProblem = { field: string; value: number; min: number; max: number; rule?: string; flag?: string }

/** Parameters for `allot market create` that the market's constructor would refuse: every one of them, with its range. */
export class MarketParametersOutOfBoundsError extends BaseError {
  override name = 'MarketParametersOutOfBoundsError'
  readonly problems: readonly ParameterProblem[]
  /** @param problems - `flag`, where given, is how the person set the value (e.g. `--collateral-factor`). */
  constructor({ problems }: { problems: readonly ParameterProblem[] }) {
    const count = problems.length === 1 ? '1 market parameter is' : `${problems.length} market parameters are`
    super(`${count} outside the bounds every market is held to; nothing was sent.`, {
      metaMessages: problems.map(({ field, value, min, max, rule, flag }) => {
        const range = `from ${describeParameterValue(field, min)} to ${describeParameterValue(field, max)}`
        const shown = `  ${field}${flag ? ` (${flag})` : ''} = ${describeParameterValue(field, value)}`
        return min > max ? `${shown}: no value fits (${range}${rule ? `: ${rule}` : ''}); fix what it depends on first` : `${shown}: must be ${range}${rule ? ` (${rule})` : ''}`
      }),
      hint: 'Change each value named above (its flag, or the field in the --params file) to one inside its range; `allot market create --help` lists the flags and their units.',
    })
    this.problems = problems
  }
}

/** The factory holds one market per configuration: this one exists already. */
export class MarketExistsError extends BaseError {
  override name = 'MarketExistsError'
  readonly market: string
  constructor({ market }: { market: string }) {
    super(`A market with exactly these tokens, price feed, arbiter, fee recipient and parameters exists already, at ${market}; nothing was sent.`, {
      hint: `Use it with --market ${market} (it is in \`allot market list\`), or change a parameter to create a different market.`,
    })
    this.market = market
  }
}

/** The deployment file predates the market factory: markets can be neither chosen nor created through it. */
export class MarketFactoryMissingError extends BaseError {
  override name = 'MarketFactoryMissingError'
  constructor({ path }: { path: string }) {
    super(`The deployment file ${path} names no market factory, so no market can be created through it.`, {
      hint: 'Add the factory address to the file as "factory", or start a fresh local market with `allot chain dev`.',
    })
  }
}
