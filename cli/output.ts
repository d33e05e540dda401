import { explainError } from './explainError.ts'
import { UsageError } from './errors.ts'

export type OutputStreams = {
  stdout: { write: (text: string) => unknown; isTTY?: boolean }
  stderr: { write: (text: string) => unknown; isTTY?: boolean }
}

export type OutputInit = {
  json?: boolean
  /** 0 normal, 1 for `-v`, 2 for `-vv`. */
  verbosity?: number
  streams?: OutputStreams
}

/**
 * The one place that writes to the terminal. With `--json`, stdout carries exactly
 * one JSON document and everything meant for people goes to stderr.
 */
export type Output = {
  readonly json: boolean
  readonly verbosity: number
  /** A line for people (stderr under --json, stdout otherwise). */
  info: (text: string) => void
  /** A line shown only at `-v` (level 1) or `-vv` (level 2). */
  detail: (level: 1 | 2, text: string) => void
  /** A step of long-running work: a plain timestamped line, on stderr under --json. */
  progress: (step: string, text?: string) => void
  /** The command's result: `data` as JSON under --json, else `human(data)`. */
  result: <T>(data: T, human: (data: T) => string) => void
  /** Prints a failure and returns the exit code it maps to. */
  failure: (error: unknown) => number
}

/** Creates the output for one command run. */
export function createOutput(init: OutputInit = {}): Output {
  const { json = false, verbosity = 0, streams = { stdout: process.stdout, stderr: process.stderr } } = init
  const human = json ? streams.stderr : streams.stdout
  const line = (text: string) => human.write(`${text}\n`)
  return {
    json,
    verbosity,
    info: line,
    detail: (level, text) => {
      if (verbosity >= level) streams.stderr.write(`${text}\n`)
    },
    progress: (step, text) => {
      const time = new Date().toISOString().slice(11, 19)
      line(`${time} ${step.padEnd(18)}${text ?? ''}`)
    },
    result: (data, describe) => {
      if (json) streams.stdout.write(`${JSON.stringify(data, jsonReplacer)}\n`)
      else streams.stdout.write(`${describe(data)}\n`)
    },
    failure: (error) => {
      const code = error instanceof UsageError ? 2 : 1
      const described = explainError(error)
      if (json) streams.stdout.write(`${JSON.stringify({ ok: false, error: described })}\n`)
      else {
        streams.stderr.write(`error: ${described.message}\n`)
        if (described.hint && !described.message.includes(described.hint)) streams.stderr.write(`hint: ${described.hint}\n`)
        if (verbosity >= 1 && error instanceof Error && error.stack) streams.stderr.write(`${error.stack}\n`)
      }
      return code
    },
  }
}

/** bigints become decimal strings, so every amount survives JSON exactly. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? value.toString() : value
}
