import { UsageError } from '../errors.ts'

/** An option parser for an integer in `[min, max]`; a bad value is a usage error naming the flag. */
export function parseInteger(flag: string, min: number, max: number) {
  return (value: string): number => {
    const parsed = Number(value)
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new UsageError(`${flag} must be an integer from ${min} to ${max}, not "${value}".`)
    return parsed
  }
}
