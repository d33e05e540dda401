import { BaseError } from '../errors/base.ts'
import type { SchemaIssue } from '../errors/codec.ts'

export type InvalidJobManifestErrorType = InvalidJobManifestError & { name: 'InvalidJobManifestError' }

/** An `allot.job.json` that breaks the manifest schema; `path` names the first failing field. */
export class InvalidJobManifestError extends BaseError {
  override name = 'InvalidJobManifestError' as const
  readonly path: string
  readonly issues: readonly SchemaIssue[]
  constructor({ issues, cause }: { issues: readonly SchemaIssue[]; cause?: unknown }) {
    const first = issues[0] ?? { path: '', message: 'invalid' }
    super(`Invalid job manifest at \`${first.path || '(root)'}\`: ${first.message}.`, {
      cause,
      details: first.message,
      metaMessages: issues.length > 1 ? issues.map((issue) => `- ${issue.path || '(root)'}: ${issue.message}`) : undefined,
      hint: 'See docs/jobs.md for the manifest format.',
    })
    this.path = first.path
    this.issues = issues
  }
}

export type InvalidBundlePathErrorType = InvalidBundlePathError & { name: 'InvalidBundlePathError' }

/** A bundle file path that breaks the path rules (absolute, `..`, empty segment, …). */
export class InvalidBundlePathError extends BaseError {
  override name = 'InvalidBundlePathError' as const
  readonly path: string
  constructor({ path, reason }: { path: string; reason: string }) {
    super(`Bundle path ${JSON.stringify(path)} is not allowed: ${reason}.`, { details: reason })
    this.path = path
  }
}

export type DuplicateBundlePathErrorType = DuplicateBundlePathError & { name: 'DuplicateBundlePathError' }

/** Two bundle entries with the same path, or a file that is also used as a folder. */
export class DuplicateBundlePathError extends BaseError {
  override name = 'DuplicateBundlePathError' as const
  readonly path: string
  constructor({ path, other }: { path: string; other?: string }) {
    super(
      other === undefined
        ? `Bundle path ${JSON.stringify(path)} appears more than once.`
        : `Bundle path ${JSON.stringify(path)} is a file and also the folder of ${JSON.stringify(other)}.`,
    )
    this.path = path
  }
}

export type MissingBundleFileErrorType = MissingBundleFileError & { name: 'MissingBundleFileError' }

/** The manifest names a file (itself, the entry, an input) that the bundle does not hold. */
export class MissingBundleFileError extends BaseError {
  override name = 'MissingBundleFileError' as const
  readonly path: string
  constructor({ path, role }: { path: string; role: string }) {
    super(`The job bundle has no ${role} ${JSON.stringify(path)}.`)
    this.path = path
  }
}

export type OutputFolderNotEmptyErrorType = OutputFolderNotEmptyError & { name: 'OutputFolderNotEmptyError' }

/** The bundle already holds files under the manifest's output folder; outputs must start empty. */
export class OutputFolderNotEmptyError extends BaseError {
  override name = 'OutputFolderNotEmptyError' as const
  readonly path: string
  constructor({ output, path }: { output: string; path: string }) {
    super(`The job bundle holds ${JSON.stringify(path)} inside the output folder ${JSON.stringify(output)}.`, {
      hint: 'Inputs go outside the output folder; the output folder is created empty for each run.',
    })
    this.path = path
  }
}

export type MalformedBundleErrorType = MalformedBundleError & { name: 'MalformedBundleError' }

/** Bytes that do not decode as a job or result bundle (wrong magic, truncated, trailing bytes, over a limit). */
export class MalformedBundleError extends BaseError {
  override name = 'MalformedBundleError' as const
  constructor({ kind, reason }: { kind: 'job' | 'result'; reason: string }) {
    super(`Malformed ${kind} bundle: ${reason}.`, { details: reason })
  }
}
