import type { Hash } from 'viem'
import { BaseError } from '../../protocol/errors/base.ts'
import { ContractRevertError } from '../chain/errors.ts'

/**
 * A transaction that passed its simulation reverted when mined. For a keeper that almost always
 * means another keeper's transaction in the same block got there first.
 */
export class TransactionRevertedError extends BaseError {
  override name = 'TransactionRevertedError'
  readonly functionName: string
  readonly hash: Hash
  constructor({ functionName, hash, blockNumber }: { functionName: string; hash: Hash; blockNumber: bigint }) {
    super(`${functionName} transaction ${hash} reverted in block ${blockNumber}.`, {
      details: 'it passed simulation, so the state changed between the simulation and the block',
      hint: 'Another keeper probably liquidated the same deal or position first.',
    })
    this.functionName = functionName
    this.hash = hash
  }
}

/** The market's answers to a liquidation that someone else already made (or made unnecessary). */
export const lostRaceErrorNames: ReadonlySet<string> = new Set(['DealNotLiquidatable', 'PositionHealthy', 'CloseFactorUsed'])

/** Whether an error is the market saying that another caller got there first. */
export function isLostRace(error: unknown): error is ContractRevertError {
  return error instanceof ContractRevertError && lostRaceErrorNames.has(error.errorName)
}

/** `keeper status` in a home where no keeper ran, without a key to say whose history to show. */
export class KeeperNeverRanError extends BaseError {
  override name = 'KeeperNeverRanError'
  constructor({ home, cause }: { home: string; cause?: unknown }) {
    super(`No keeper has run in ${home}, and no keeper account was given.`, {
      cause,
      hint: `Pass the --home of the keeper (\`allot keeper start --home DIR\`), or its key with --private-key / ALLOT_PRIVATE_KEY to see that account's liquidations.`,
    })
  }
}

/** `keeper status` was asked about one market, and the keeper running in the home liquidates in another. */
export class KeeperOnOtherMarketError extends BaseError {
  override name = 'KeeperOnOtherMarketError'
  constructor({ home, market, chosen }: { home: string; market: string; chosen: string }) {
    super(`The keeper running in ${home} liquidates in market ${market}, not in ${chosen} (chosen by --market, ALLOT_MARKET or the config).`, {
      hint: 'Leave the market out to see it; run a keeper for the other market in its own home (`allot keeper start --market … --home DIR`).',
    })
  }
}
