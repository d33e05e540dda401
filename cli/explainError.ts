import { BaseError as ViemBaseError, ContractFunctionRevertedError, formatUnits, HttpRequestError, InsufficientFundsError, TimeoutError, WebSocketRequestError, type Address } from 'viem'
import { BaseError } from '../protocol/errors/base.ts'
import { ChainUnreachableError, ContractRevertError, redactUrl } from '../node/chain/errors.ts'
import { marketErrors, unknownMarketError, type ErrorFormat } from './marketErrors.ts'

export type ExplainedError = { name: string; message: string; hint?: string }
export type TokenInfo = { address: Address; symbol: string; decimals: number }

/** The tokens of the market the command talks to, once known: amounts in errors are shown in them. */
let knownTokens: { payment: TokenInfo; collateral: TokenInfo } | undefined

/** Called by `connect` so that a later failure can show amounts in the market's tokens. */
export function rememberTokens(tokens: { payment: TokenInfo; collateral: TokenInfo }) {
  knownTokens = tokens
}

/** The formatting an explanation uses: the known tokens, else base units; dates in the local time zone. */
export function errorFormat(tokens = knownTokens): ErrorFormat {
  const amount = (token: TokenInfo | undefined, value: bigint) => (token ? `${formatUnits(BigInt(value), token.decimals)} ${token.symbol}` : `${value} base units`)
  const byAddress = (address: Address) => [tokens?.payment, tokens?.collateral].find((token) => token && token.address.toLowerCase() === String(address).toLowerCase())
  return {
    payment: (value) => amount(tokens?.payment, value),
    collateral: (value) => amount(tokens?.collateral, value),
    token: (address, value) => amount(byAddress(address), value) + (byAddress(address) ? '' : ` of token ${address}`),
    date: (seconds) => new Date(Number(seconds) * 1000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }),
    short: (hex) => (String(hex).length > 14 ? `${String(hex).slice(0, 10)}…` : String(hex)),
  }
}

/**
 * The one mapping from anything a command can throw to a sentence a person can
 * act on: market custom errors (by name, through `marketErrors`), reverts found
 * inside viem errors, an unfunded account, a dead endpoint, a busy port, a home
 * another process holds, and allot's own named errors. Only a real fault of the
 * software is left as "unexpected".
 */
export function explainError(error: unknown, format: ErrorFormat = errorFormat()): ExplainedError {
  if (error instanceof ContractRevertError) return revert(error.functionName, error.errorName, error.args, format)
  if (error instanceof BaseError) {
    const lines = error.metaMessages?.length ? `\n${error.metaMessages.join('\n')}` : ''
    return { name: error.name, message: error.shortMessage + (error.details && !(error instanceof ChainUnreachableError) ? ` (${error.details})` : '') + lines, hint: error.hint }
  }
  if (error instanceof ViemBaseError) {
    const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError) as ContractFunctionRevertedError | null
    if (reverted) return revert((reverted as { functionName?: string }).functionName ?? 'the call', reverted.data?.errorName ?? reverted.reason ?? 'unknown', reverted.data?.args ?? [], format)
    if (error.walk((e) => e instanceof InsufficientFundsError))
      return {
        name: 'InsufficientGasError',
        message: 'The account has not enough of the chain’s native coin to pay for gas.',
        hint: 'Send it some (on `allot chain dev`, use one of the dev accounts it lists), then run the command again. `allot balance` shows what it holds.',
      }
    const transport = error.walk((e) => e instanceof HttpRequestError || e instanceof WebSocketRequestError || e instanceof TimeoutError) as HttpRequestError | null
    if (transport) return explainError(new ChainUnreachableError({ url: transport.url ?? 'the RPC endpoint' }), format)
    return { name: error.name, message: error.shortMessage, hint: 'Run the command again with -v to see the whole exchange with the chain.' }
  }
  const system = systemError(error)
  if (system) return system
  if (error instanceof Error)
    return { name: error.name, message: `Unexpected error: ${error.message}`, hint: 'This is a fault of allot, not of your input: please report it with the output of the same command run with -v.' }
  return { name: 'UnknownError', message: `Unexpected error: ${String(error)}`, hint: 'Please report it with the output of the same command run with -v.' }
}

function revert(functionName: string, errorName: string, args: readonly unknown[], format: ErrorFormat): ExplainedError {
  const entry = marketErrors[errorName]
  const { message, hint } = entry ? entry(args, format) : unknownMarketError(errorName, args)
  return { name: errorName === 'unknown' ? 'ContractRevertError' : errorName, message: `${functionName === 'the call' ? '' : `${functionName}: `}${message}`, hint }
}

type SystemError = Error & { code?: string; syscall?: string; address?: string; port?: number; path?: string; cause?: unknown }

/** Operating-system and storage failures a person causes: a busy port, a home in use, a folder they cannot write. */
function systemError(error: unknown): ExplainedError | undefined {
  const chain: SystemError[] = []
  for (let e = error as SystemError | undefined; e instanceof Error && chain.length < 8; e = e.cause as SystemError | undefined) chain.push(e)
  for (const e of chain) {
    if (e.code === 'EADDRINUSE') {
      const where = e.port !== undefined ? `${e.address ?? '127.0.0.1'}:${e.port}` : /[\d.:]+:\d+/.exec(e.message)?.[0] ?? 'the port'
      return { name: 'PortInUseError', message: `Another program already listens on ${where}.`, hint: 'Stop it, or pick another port (--port, or --listen /ip4/127.0.0.1/tcp/0 for any free one).' }
    }
    if (e.code === 'LEVEL_LOCKED' || /LOCK: (Resource temporarily unavailable|already held)/i.test(e.message))
      return { name: 'HomeInUseError', message: 'Another allot process is using this home (its database is locked).', hint: 'Stop that process, or give this one its own home with --home DIR.' }
    if (e.code === 'EACCES' || e.code === 'EPERM') return { name: 'PermissionError', message: `Permission denied${e.path ? ` on ${e.path}` : ''}.`, hint: 'Use a home and folders your user can write (--home DIR).' }
    if (e.code === 'ENOSPC') return { name: 'DiskFullError', message: `The disk is full${e.path ? ` (writing ${e.path})` : ''}.`, hint: 'Free some space and run the command again.' }
    if (e.code === 'ECONNREFUSED' && /:\d+/.test(e.message))
      return { name: 'ChainUnreachableError', message: `Nothing answers at ${redactUrl(`http://${/[\d.]+:\d+/.exec(e.message)?.[0] ?? ''}`)}.`, hint: 'Start the chain with `allot chain dev`, or point at another with --rpc URL.' }
  }
  return undefined
}
