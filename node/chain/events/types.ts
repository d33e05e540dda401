import type { GetContractEventsReturnType, Hex } from 'viem'
import type { allotMarketAbi } from '../../../contracts/abi/index.ts'

/** One decoded market log: `eventName` tells which event, `args` its typed arguments. */
export type MarketEvent = GetContractEventsReturnType<typeof allotMarketAbi, undefined, true, bigint, bigint>[number]

/** The name of a market event, e.g. `DealOpened`. */
export type MarketEventName = MarketEvent['eventName']

/** A block range, both ends included. */
export type BlockRange = { fromBlock: bigint; toBlock: bigint }

/** The newest block the follower has seen. */
export type ChainHead = {
  number: bigint
  hash: Hex
  /** Block timestamp, unix seconds: what deadlines are compared with. */
  timestamp: bigint
  /** Local `Date.now()` when the follower read this block as the latest. */
  observedAt: number
}

/** One answer of the collateral price feed (Chainlink `latestRoundData`). */
export type PriceRound = {
  roundId: bigint
  answer: bigint
  updatedAt: bigint
  /** The block at which it was read. */
  blockNumber: bigint
}

/** The last block whose events were fully handled, and its hash (to notice a chain that was reset or reorganised). */
export type EventCursor = { block: bigint; hash?: Hex | undefined }
