import { BaseError } from '../../../protocol/errors/base.ts'
import type { BlockRange } from './types.ts'

/** A handler given to the event follower threw; the range is handled again after a back-off. */
export class EventHandlerError extends BaseError {
  override name = 'EventHandlerError'
  readonly handler: string
  constructor({ handler, range, cause }: { handler: string; range?: BlockRange | undefined; cause: unknown }) {
    super(`The ${handler} handler failed${range ? ` on blocks ${range.fromBlock}–${range.toBlock}` : ''}.`, {
      cause,
      hint: range ? 'The same blocks are handed over again after a back-off; handlers must be idempotent.' : undefined,
    })
    this.handler = handler
  }
}

/**
 * The stored cursor names a block this chain does not have (a local chain that was restarted) or a
 * block with another hash (a reorganisation deeper than the confirmations waited for).
 */
export class CursorMismatchError extends BaseError {
  override name = 'CursorMismatchError'
  readonly block: bigint
  constructor({ block, reason }: { block: bigint; reason: string }) {
    super(`The event cursor at block ${block} does not match the chain: ${reason}.`, {
      hint: 'The follower starts again from its first block; state built from the old chain is dropped.',
    })
    this.block = block
  }
}

/** The price feed could not be read (it reverted, or the endpoint failed). */
export class PriceFeedReadError extends BaseError {
  override name = 'PriceFeedReadError'
  constructor({ priceFeed, cause }: { priceFeed: string; cause: unknown }) {
    super(`The price feed ${priceFeed} could not be read.`, { cause })
  }
}
