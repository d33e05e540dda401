import type { Output } from './output.ts'
import type { ResolvedSettings, Settings } from './settings.ts'

/** What every command receives besides its own arguments and options. */
export type CommandContext = {
  settings: Settings
  resolved: ResolvedSettings
  output: Output
  /** Aborted on SIGINT/SIGTERM, or by `fail`: long-running commands stop cleanly on it. */
  signal: AbortSignal
  /** Ends a long-running command from a background part (e.g. its market is gone): it stops as on Ctrl-C, then fails with `error`. */
  fail: (error: unknown) => void
}

export type OptionSpec = {
  /** Commander flags, e.g. `--port <number>` or `-f, --follow`. */
  flags: string
  description: string
  defaultValue?: unknown
  /** Parses the raw string; throw a UsageError for a bad value. */
  parse?: (value: string, previous: unknown) => unknown
}

/**
 * One row of the command table. `run` is a plain async function: it prints through
 * `context.output`, throws errors, and never calls `process.exit`.
 */
export type CommandSpec = {
  path: string[]
  summary: string
  arguments?: string[]
  options?: OptionSpec[]
  examples: string[]
  /** The group's command when none is named (`allot sim` runs `allot sim run`). */
  isDefault?: boolean
  run: (args: string[], options: Record<string, unknown>, context: CommandContext) => Promise<void>
}
