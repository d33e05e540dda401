/** Options shared by every protocol error. */
export type BaseErrorParameters = {
  /** The lower-level error this one wraps (anything thrown). */
  cause?: unknown
  /** Extra detail; taken from `cause` when omitted. */
  details?: string | undefined
  /** What the user can do about it (the CLI prints it as `hint:`). */
  hint?: string | undefined
  /** Lines printed between the short message and the details. */
  metaMessages?: string[] | undefined
  /** Overrides the class name (subclasses set their own). */
  name?: string | undefined
}

export type BaseErrorType = BaseError & { name: 'BaseError' }

/**
 * The root of every error thrown by `protocol/`.
 *
 * Callers compare errors by `name`, never by message text: messages are for
 * people and may change, names are part of the API.
 *
 * @example
 * throw new BaseError('Ask is malformed.', { details: 'free exceeds capacity' })
 */
export class BaseError extends Error {
  /** Detail line (from `cause` when one is given). */
  details: string
  /** What the user can do about it. */
  hint?: string | undefined
  /** Lines that add context to the short message. */
  metaMessages?: string[] | undefined
  /** One sentence naming the broken condition. */
  shortMessage: string

  override name = 'BaseError'

  constructor(shortMessage: string, args: BaseErrorParameters = {}) {
    const details = args.details ?? causeDetails(args.cause)
    const message = [
      shortMessage,
      ...(args.metaMessages ? ['', ...args.metaMessages] : []),
      ...(details ? ['', `Details: ${details}`] : []),
      ...(args.hint ? [`Hint: ${args.hint}`] : []),
    ].join('\n')
    super(message, args.cause !== undefined ? { cause: args.cause } : undefined)
    this.details = details
    this.hint = args.hint
    this.metaMessages = args.metaMessages
    this.shortMessage = shortMessage
    if (args.name) this.name = args.name
  }

  /**
   * Follows the `cause` chain.
   *
   * @param fn - Stops at the first error for which it returns true.
   * @returns The matching error (or `null`), or the innermost error without `fn`.
   */
  walk(fn?: (err: unknown) => boolean): unknown {
    let err: unknown = this
    while (true) {
      if (fn?.(err)) return err
      const cause = err && typeof err === 'object' && 'cause' in err ? err.cause : undefined
      if (cause === undefined) return fn ? null : err
      err = cause
    }
  }
}

function causeDetails(cause: unknown): string {
  if (cause === undefined) return ''
  if (cause instanceof BaseError) return cause.details || cause.shortMessage
  if (cause instanceof Error) return cause.message
  return String(cause)
}
