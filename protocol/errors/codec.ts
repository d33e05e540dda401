import { BaseError } from './base.ts'

export type MessageTooLargeErrorType = MessageTooLargeError & { name: 'MessageTooLargeError' }

/** A message, or a frame's declared length, is over the size limit. */
export class MessageTooLargeError extends BaseError {
  override name = 'MessageTooLargeError' as const
  readonly size: number
  readonly maxSize: number
  constructor({ size, maxSize }: { size: number; maxSize: number }) {
    super(`Message of ${size} bytes exceeds the limit of ${maxSize} bytes.`)
    this.size = size
    this.maxSize = maxSize
  }
}

export type MalformedMessageErrorType = MalformedMessageError & { name: 'MalformedMessageError' }

/** Bytes that are not a message at all: truncated, not UTF-8, not JSON, not canonical, bad framing. */
export class MalformedMessageError extends BaseError {
  override name = 'MalformedMessageError' as const
  constructor(reason: string, { cause }: { cause?: unknown } = {}) {
    super(`Malformed message: ${reason}.`, { cause, details: cause ? undefined : reason })
  }
}

export type UnsupportedVersionErrorType = UnsupportedVersionError & { name: 'UnsupportedVersionError' }

/** The envelope's version byte is not one this implementation speaks. */
export class UnsupportedVersionError extends BaseError {
  override name = 'UnsupportedVersionError' as const
  readonly version: number
  constructor({ version, supported }: { version: number; supported: number }) {
    super(`Unsupported wire version ${version}.`, {
      metaMessages: [`Supported: ${supported}`],
    })
    this.version = version
  }
}

export type UnknownMessageTypeErrorType = UnknownMessageTypeError & { name: 'UnknownMessageTypeError' }

/** The envelope's type byte names no message. */
export class UnknownMessageTypeError extends BaseError {
  override name = 'UnknownMessageTypeError' as const
  readonly code: number
  constructor({ code }: { code: number }) {
    super(`Unknown message type 0x${code.toString(16).padStart(2, '0')}.`)
    this.code = code
  }
}

export type UnexpectedMessageTypeErrorType = UnexpectedMessageTypeError & {
  name: 'UnexpectedMessageTypeError'
}

/** A known message arrived where the caller accepts only other types (wrong topic or stream). */
export class UnexpectedMessageTypeError extends BaseError {
  override name = 'UnexpectedMessageTypeError' as const
  readonly type: string
  constructor({ type, accepted }: { type: string; accepted: readonly string[] }) {
    super(`Unexpected message type "${type}".`, {
      metaMessages: [`Accepted here: ${accepted.join(', ')}`],
    })
    this.type = type
  }
}

/** One schema violation: where it is and what is wrong. */
export type SchemaIssue = { path: string; message: string }

export type SchemaErrorType = SchemaError & { name: 'SchemaError' }

/** A well-formed message whose content breaks its schema; `path` names the first failing field. */
export class SchemaError extends BaseError {
  override name = 'SchemaError' as const
  readonly type: string
  readonly path: string
  readonly issues: readonly SchemaIssue[]
  constructor({ type, issues }: { type: string; issues: readonly SchemaIssue[] }) {
    const first = issues[0] ?? { path: '', message: 'invalid' }
    super(`Invalid "${type}" message at \`${first.path || '(root)'}\`: ${first.message}.`, {
      metaMessages: issues.length > 1 ? issues.map((i) => `- ${i.path || '(root)'}: ${i.message}`) : undefined,
    })
    this.type = type
    this.path = first.path
    this.issues = issues
  }
}
