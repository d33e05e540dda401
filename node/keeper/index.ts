import type { Address, Hash, Hex } from 'viem'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { EventCursor } from '../chain/events/types.ts'
import type { Logger } from '../log/logger.ts'
import type { Store } from '../store/openStore.ts'
import { DefaultKeeper } from './keeper.ts'
import type { TypedEventTarget } from './typedEventTarget.ts'

/** What a keeper needs from the node: one account on the chain, the market, and the node's store. */
export type KeeperComponents = {
  /** The keeper's account signs every liquidation and receives the bonuses. */
  clients: ChainClients
  deployment: Deployment
  store: Pick<Store, 'sublevel'>
  logger?: Logger
}

/** Options; every one has its default in `defaultKeeperInit`. */
export type KeeperInit = {
  /** Skip liquidations whose estimated profit (bonus − gas cost) is below this, in payment-token units. */
  minProfit?: bigint
  /** Payment-token units one native coin (1e18 wei) is worth, to count gas against bonuses; 0 ignores gas. */
  nativePrice?: bigint
  /** Gas each call is assumed to use in the profit estimate (not a transaction limit). */
  gasLimits?: { liquidateDeal: bigint; liquidatePosition: bigint }
  /** Milliseconds between polls for a new block. */
  pollingInterval?: number
  /** While a deadline is due: milliseconds between polls, and for how long they continue. */
  deadlinePollInterval?: number
  deadlinePollWindow?: number
  /** Blocks to stay behind the head (0 on anvil). */
  confirmations?: number
  /** Most blocks per `eth_getLogs`. */
  batchSize?: number
  /** First block to read when the store has no cursor; the market's deployment block by default. */
  fromBlock?: bigint
  /** Back-off after a failed poll or liquidation: first delay and cap, milliseconds. */
  retryDelay?: number
  maxRetryDelay?: number
  /** How long a skipped deal liquidation waits before it is weighed again, milliseconds (a skipped position is weighed again when its price or position changes). */
  skipRetryDelay?: number
  /** Milliseconds to wait for a receipt. */
  receiptTimeout?: number
  /** How long `stop()` waits for transactions already sent, milliseconds. */
  stopTimeout?: number
  signal?: AbortSignal
}

/** The defaults of `KeeperInit`, in one place. */
export const defaultKeeperInit = {
  minProfit: 0n,
  nativePrice: 0n,
  // Measured on anvil (bench/gas.ts, test/node/keeper): ~78k for liquidateDeal, ~90k for liquidatePosition; rounded up.
  gasLimits: { liquidateDeal: 120_000n, liquidatePosition: 150_000n },
  pollingInterval: 500,
  deadlinePollInterval: 100,
  deadlinePollWindow: 3_000,
  confirmations: 0,
  batchSize: 1_000,
  retryDelay: 250,
  maxRetryDelay: 30_000,
  skipRetryDelay: 60_000,
  receiptTimeout: 60_000,
  stopTimeout: 10_000,
} satisfies Required<Omit<KeeperInit, 'fromBlock' | 'signal'>>

/** `KeeperInit` with every default filled in. */
export type ResolvedKeeperInit = typeof defaultKeeperInit & Pick<KeeperInit, 'fromBlock' | 'signal'>

/** Why a deal is liquidatable: its deadline passed with no result, its provider lost a dispute, or an earlier liquidation left compensation owed. */
export type DealLiquidationReason = 'deadline' | 'dispute' | 'deferred'

/** This keeper liquidated a deal (the `liquidated` event for a deal). */
export type DealLiquidated = {
  kind: 'deal'
  dealId: Hex
  provider: Address
  client: Address
  reason: DealLiquidationReason
  deadline: bigint
  hash: Hash
  blockNumber: bigint
  /** Of the block the liquidation was mined in, unix seconds. */
  blockTimestamp: bigint
  refund: bigint
  compensation: bigint
  /** Payment-unit value paid to this keeper. */
  keeperBonus: bigint
  /** Compensation still owed (a later call completes it); 0 when the deal is final. */
  deferred: bigint
  gasUsed: bigint
}

/** This keeper covered part of an unhealthy position (the `liquidated` event for a position). */
export type PositionLiquidated = {
  kind: 'position'
  provider: Address
  /** Before the liquidation, WAD. */
  healthFactor: bigint
  /** Payment tokens this keeper put into the provider's coverage. */
  repaid: bigint
  /** Collateral tokens it received. */
  collateralSeized: bigint
  hash: Hash
  blockNumber: bigint
  blockTimestamp: bigint
  gasUsed: bigint
}

/** What a `liquidated` event carries; `kind` tells which. */
export type Liquidation = DealLiquidated | PositionLiquidated

/** Someone else liquidated first (or the position became healthy): nothing lost but the attempt. */
export type LostRace = { kind: 'deal' | 'position'; target: Hex; errorName: string }

/** Why a liquidation was not sent: too little profit, no payment tokens to cover with, nothing left to cover or seize, or a deal the market does not know. */
export type SkipReason = 'unprofitable' | 'noBalance' | 'nothingToCover' | 'nothingToSeize' | 'dealNotFound'

/** A liquidation weighed and not sent; `bonus` and `gasCost` (payment units) when it was unprofitable. */
export type Skipped = { kind: 'deal' | 'position'; target: Hex; reason: SkipReason; bonus?: bigint; gasCost?: bigint }

/** Something failed: the endpoint, a read, or a liquidation that was not a lost race. The keeper goes on. */
export type KeeperError = { kind?: 'deal' | 'position'; target?: Hex; error: Error }

/** This keeper took a new price round into the market's volatility estimate; the factors now in force. */
export type VolatilityUpdated = { collateralFactorBps: bigint; liquidationThresholdBps: bigint; hash: Hash }

/** The keeper's events; `event.detail` carries the typed value. */
export type KeeperEvents = {
  volatility: VolatilityUpdated
  liquidated: Liquidation
  lostRace: LostRace
  skipped: Skipped
  error: KeeperError
}

/** Counters for metrics; amounts in token units. */
export type KeeperMetrics = {
  dealsLiquidated: number
  positionsLiquidated: number
  lostRaces: number
  skipped: number
  errors: number
  dealsTracked: number
  providersTracked: number
  /** Payment-unit value of the deal-liquidation bonuses received. */
  keeperBonus: bigint
  /** Payment tokens put into positions' coverage, and collateral received for them. */
  repaid: bigint
  collateralSeized: bigint
  gasUsed: bigint
  lastBlock: bigint | undefined
  /** Last block whose events were handled, and where this run started reading. */
  cursor: EventCursor | undefined
  resumedFrom: bigint | undefined
}

/**
 * Watches the market and liquidates what may be liquidated: deals past their deadline with no
 * result or with a lost dispute, and positions whose health factor fell below 1.
 */
export interface Keeper extends TypedEventTarget<KeeperEvents> {
  readonly address: Address
  start: () => Promise<void>
  /** Stops following the chain and waits (up to `stopTimeout`) for transactions already sent. */
  stop: () => Promise<void>
  metrics: () => KeeperMetrics
}

/**
 * Creates a keeper. Its deals and cursor live in `components.store` (sublevels
 * `keeper-deals:<market>` and `cursors`), so a keeper restarted from the same home resumes where it stopped.
 *
 * @example
 * const keeper = createKeeper({ clients, deployment, store }, { minProfit: parseUnits('0.5', 6) })
 * keeper.addEventListener('liquidated', (event) => log('liquidated %o', event.detail))
 * await keeper.start()
 */
export function createKeeper(components: KeeperComponents, init: KeeperInit = {}): Keeper {
  const resolved: ResolvedKeeperInit = { ...defaultKeeperInit, fromBlock: init.fromBlock, signal: init.signal }
  for (const [key, value] of Object.entries(init)) if (value !== undefined) (resolved as Record<string, unknown>)[key] = value
  return new DefaultKeeper(components, resolved)
}

export { positionLiquidationAmount } from './closeFactor.ts'
export { estimateProfit } from './estimateProfit.ts'
export { isLostRace, TransactionRevertedError } from './errors.ts'
