import { BaseError } from '../../protocol/errors/base.ts'

/** The simulation could not drive its local chain. */
export class SimChainError extends BaseError {
  override name = 'SimChainError'
  constructor({ reason, cause }: { reason: string; cause?: unknown }) {
    super(`The simulation's local chain failed: ${reason}.`, { cause, hint: 'Check that anvil runs here (npx allot chain dev) and that the machine is not out of memory.' })
  }
}

/** A scenario name `allot sim` does not know. */
export class UnknownScenarioError extends BaseError {
  override name = 'UnknownScenarioError'
  constructor({ name, known }: { name: string; known: readonly string[] }) {
    super(`There is no simulation scenario named "${name}".`, { hint: `Choose one of: ${known.join(', ')}.` })
  }
}

/** The market's accounting identity failed after a step: tokens held differ from what the market owes. */
export class AccountingBrokenError extends BaseError {
  override name = 'AccountingBrokenError'
  constructor({ token, held, owed, block }: { token: string; held: bigint; owed: bigint; block: bigint }) {
    super(`After block ${block} the market holds ${held} ${token} units but owes ${owed}.`, { hint: 'This is a solvency bug in the market contract: report it with the scenario and seed.' })
  }
}

/** A sim result file could not be read for the report. */
export class SimResultsNotFoundError extends BaseError {
  override name = 'SimResultsNotFoundError'
  constructor({ path, cause }: { path: string; cause?: unknown }) {
    super(`No simulation results at ${path}.`, { cause, hint: 'Run `allot sim --out <folder>` first, then `allot sim report --out <folder>`.' })
  }
}

/** The user stopped a simulation (Ctrl-C) before it finished. */
export class SimInterruptedError extends BaseError {
  override name = 'SimInterruptedError'
  constructor({ cause }: { cause?: unknown } = {}) {
    super('The simulation was stopped before it finished; nothing was written.', { cause, hint: 'Run it again, with fewer --seeds or --days for a shorter run.' })
  }
}

/** `allot sim sweep --resume` found a progress file it cannot continue. */
export class SweepResumeError extends BaseError {
  override name = 'SweepResumeError'
  constructor({ path, reason, cause }: { path: string; reason: string; cause?: unknown }) {
    super(`The sweep cannot continue from ${path}: ${reason}.`, { cause, hint: 'Run it with the same --scenario, --seeds, --days, --stress-at and --busy-block, or without --resume to start over.' })
  }
}
