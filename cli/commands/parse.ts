import { parseUnits } from 'viem'
import type { TokenInfo } from '../connect.ts'
import { UsageError } from '../errors.ts'

/** An option parser for an integer in `[min, max]`; a bad value is a usage error naming the flag. */
export function parseInteger(flag: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${value}".`)
    return parsed
  }
}

/**
 * Checks an AMOUNT argument's form before anything connects, so that a typo is named at once rather than after
 * (or instead of) a missing deployment or a dead chain; {@link parseTokenAmount} then reads it in the token's units.
 */
export function checkAmountSyntax(value: string | undefined): void {
  if (!value || !/^\d+(\.\d+)?$/.test(value) || !/[1-9]/.test(value)) throw new UsageError(`AMOUNT must be a positive number such as 100 or 2.5, not "${value ?? ''}".`)
}

/** An AMOUNT argument: a positive number of `token`, in its units (`2500.5`), as base units. */
export function parseTokenAmount(value: string | undefined, token: Pick<TokenInfo, 'symbol' | 'decimals'>): bigint {
  checkAmountSyntax(value)
  try {
    // Digits past the token's decimals are rounded away; what rounds to nothing is no amount.
    const amount = parseUnits(value!, token.decimals)
    if (amount === 0n) throw new Error()
    return amount
  } catch {
    throw new UsageError(`AMOUNT must be a positive number of ${token.symbol} (up to ${token.decimals} decimals), not "${value}".`)
  }
}
