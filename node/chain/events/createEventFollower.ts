import { BlockNotFoundError, type Block } from 'viem'
import { logger, type Logger } from '../../log/logger.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { ChainUnreachableError, toChainError } from '../errors.ts'
import { memoryCursorStore, type CursorStore } from './cursorStore.ts'
import { CursorMismatchError, EventHandlerError } from './errors.ts'
import { getMarketEvents } from './getMarketEvents.ts'
import { readPriceRound } from './readPriceRound.ts'
import type { BlockRange, ChainHead, EventCursor, MarketEvent, PriceRound } from './types.ts'

/** What a follower calls. Each may be async; the follower awaits it before going on. */
export type EventFollowerHandlers = {
  /**
   * The market events of one block range, in chain order. The cursor is saved only after this
   * resolves, so a range is handed over again if it throws or the process dies first: make it idempotent.
   */
  onEvents?: (events: MarketEvent[], range: BlockRange) => void | Promise<void>
  /** A new latest block, after the events up to it (less the confirmations) were handed over. */
  onBlock?: (head: ChainHead) => void | Promise<void>
  /** The price feed has a new round (also called once with the round found at start). */
  onPrice?: (round: PriceRound) => void | Promise<void>
  /** The stored cursor is not on this chain; drop what was built from it. The follower starts again from `fromBlock`. */
  onReset?: (error: CursorMismatchError) => void | Promise<void>
  /** Something failed (endpoint down, handler threw); the follower backs off and retries. Never called for an abort. */
  onError?: (error: Error) => void
}

export type EventFollowerInit = EventFollowerHandlers & {
  deployment: Pick<Deployment, 'market' | 'priceFeed' | 'deploymentBlock'>
  /** Where the last handled block is kept; in memory by default (every start begins at `fromBlock`). */
  cursor?: CursorStore
  /** First block to read when there is no cursor; the market's deployment block by default. */
  fromBlock?: bigint
  /** Milliseconds between polls for a new block. */
  pollingInterval?: number
  /** Blocks to stay behind the head before handing over events (0 on anvil; reorgs deeper than this are noticed only at restart). */
  confirmations?: number
  /** Most blocks per `eth_getLogs` call; halved after the endpoint refuses a range, doubled back after each success. */
  batchSize?: number
  /** First back-off after a failure, doubled per failure up to `maxRetryDelay` (milliseconds). */
  retryDelay?: number
  maxRetryDelay?: number
  /** Poll the price feed at every new block; on by default when the deployment has a feed. */
  followPrice?: boolean
  logger?: Logger
  signal?: AbortSignal
}

/** Follows the market from a stored cursor. See `createEventFollower`. */
export type EventFollower = {
  /** Starts the polling loop; resolves at once. */
  start: () => Promise<void>
  /** Stops the loop and waits for the handler in progress to return. */
  stop: () => Promise<void>
  /** Polls now instead of at the next interval (e.g. when a deadline is due). */
  poll: () => void
  /** Resolves when the loop has ended, after `stop()` or an abort. */
  readonly done: Promise<void>
  status: () => EventFollowerStatus
}

export type EventFollowerStatus = {
  running: boolean
  cursor: EventCursor | undefined
  head: ChainHead | undefined
  price: PriceRound | undefined
  /** Failures since start. */
  errors: number
  /** Failures in a row; 0 while the endpoint answers. */
  consecutiveErrors: number
}

/** Defaults of `EventFollowerInit`, in one place. */
export const defaultEventFollowerInit = {
  pollingInterval: 1_000,
  confirmations: 0,
  batchSize: 1_000,
  retryDelay: 250,
  maxRetryDelay: 30_000,
} as const

class AbortedError extends Error {
  override name = 'AbortError'
}

/**
 * Follows the market's events from a stored cursor: reads logs in ranges of at most `batchSize`
 * blocks, hands each range to `onEvents`, then saves the last block of the range, so a restart
 * neither misses nor (except after a crash inside a range) repeats a range. Calls `onBlock` at every
 * new head and `onPrice` when the feed's round changes, because the mock feed, like Chainlink proxies,
 * emits no event a follower of the market would see.
 *
 * A dead endpoint or a failing handler is reported through `onError`, logged, and retried with a
 * doubling back-off; the follower never throws out of its loop. An abort of `signal` or `stop()` ends it.
 *
 * @example
 * const follower = createEventFollower(clients, {
 *   deployment,
 *   cursor: levelCursorStore(store.sublevel('cursors'), 'indexer'),
 *   onEvents: async (events) => { for (const event of events) console.log(event.eventName) },
 *   signal,
 * })
 * await follower.start()
 */
export function createEventFollower(clients: ChainClients, init: EventFollowerInit): EventFollower {
  const defaults = defaultEventFollowerInit
  const {
    deployment,
    pollingInterval = defaults.pollingInterval,
    confirmations = defaults.confirmations,
    retryDelay = defaults.retryDelay,
    maxRetryDelay = defaults.maxRetryDelay,
  } = init
  const initialBatchSize = BigInt(init.batchSize ?? defaults.batchSize)
  const log = init.logger ?? logger('chain:events')
  const cursorStore = init.cursor ?? memoryCursorStore()
  const fromBlock = init.fromBlock ?? BigInt(deployment.deploymentBlock)
  const priceFeed = (init.followPrice ?? true) ? deployment.priceFeed : undefined
  const controller = new AbortController()
  const signal = init.signal ? AbortSignal.any([init.signal, controller.signal]) : controller.signal

  let batchSize = initialBatchSize
  let cursor: EventCursor | undefined
  let head: ChainHead | undefined
  let price: PriceRound | undefined
  let priceFailing = false
  let errors = 0
  let consecutiveErrors = 0
  let running = false
  let wake: (() => void) | undefined
  let wakeRequested = false
  let loop: Promise<void> | undefined
  const { promise: done, resolve: resolveDone } = withResolvers<void>()

  const race = <T>(promise: Promise<T>): Promise<T> => {
    if (signal.aborted) return Promise.reject(new AbortedError())
    return new Promise<T>((resolve, reject) => {
      // The request itself cannot be cancelled (viem's http transport takes no signal per call); it is left to finish.
      const onAbort = () => reject(new AbortedError())
      signal.addEventListener('abort', onAbort, { once: true })
      promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
    })
  }

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (signal.aborted || wakeRequested) {
        wakeRequested = false
        return resolve()
      }
      const finish = () => {
        clearTimeout(timer)
        signal.removeEventListener('abort', finish)
        wake = undefined
        wakeRequested = false
        resolve()
      }
      const timer = setTimeout(finish, ms)
      signal.addEventListener('abort', finish, { once: true })
      wake = finish
    })

  const report = (error: unknown) => {
    const named = error instanceof Error ? error : new Error(String(error))
    errors++
    log.error('%s: %s', named.name, (named as { shortMessage?: string }).shortMessage ?? named.message)
    try {
      init.onError?.(named)
    } catch (thrown) {
      log.error('onError handler threw: %O', thrown)
    }
  }

  const callHandler = async <A extends unknown[]>(name: string, handler: ((...args: A) => void | Promise<void>) | undefined, args: A, range?: BlockRange) => {
    if (!handler) return
    try {
      await handler(...args)
    } catch (cause) {
      throw new EventHandlerError({ handler: name, range, cause })
    }
  }

  const getBlock = async (parameters: { blockNumber: bigint } | { blockTag: 'latest' }): Promise<Block | undefined> => {
    try {
      return await race(clients.public.getBlock(parameters))
    } catch (error) {
      if (error instanceof BlockNotFoundError) return undefined
      throw toChainError(error, { functionName: 'getBlock', rpcUrl: clients.rpcUrl })
    }
  }

  const resume = async (): Promise<EventCursor> => {
    const stored = await cursorStore.load()
    const start = { block: fromBlock - 1n }
    if (!stored) return start
    const block = stored.block >= 0n ? await getBlock({ blockNumber: stored.block }) : undefined
    let reason: string | undefined
    if (stored.block >= 0n && !block) reason = 'the chain has no such block (was it restarted?)'
    else if (block && stored.hash && block.hash !== stored.hash) reason = `its hash is now ${block.hash}, not ${stored.hash}`
    if (!reason) {
      log('resuming after block %d', stored.block)
      return stored
    }
    const mismatch = new CursorMismatchError({ block: stored.block, reason })
    report(mismatch)
    await callHandler('onReset', init.onReset, [mismatch])
    await cursorStore.clear()
    return start
  }

  const readPrice = async (at: ChainHead) => {
    if (!priceFeed) return
    let round: PriceRound
    try {
      round = await race(readPriceRound(clients, { priceFeed, blockNumber: at.number }))
    } catch (error) {
      if (error instanceof AbortedError) throw error
      // A feed that keeps reverting is reported once, not at every block.
      if (!priceFailing) report(error)
      priceFailing = true
      return
    }
    priceFailing = false
    if (price && round.roundId === price.roundId && round.answer === price.answer && round.updatedAt === price.updatedAt) return
    const previous = price
    price = round
    log('price round %d: %d', round.roundId, round.answer)
    try {
      await callHandler('onPrice', init.onPrice, [round])
    } catch (error) {
      // Handed over again at the next block.
      price = previous
      report(error)
    }
  }

  const pollOnce = async () => {
    cursor ??= await resume()
    const latest = await getBlock({ blockTag: 'latest' })
    const observedAt = Date.now()
    if (!latest || latest.number === null || latest.hash === null) return
    const safe = latest.number - BigInt(confirmations)
    while (cursor.block < safe) {
      const range: BlockRange = { fromBlock: cursor.block + 1n, toBlock: min(cursor.block + batchSize, safe) }
      let events: MarketEvent[]
      try {
        events = await race(getMarketEvents(clients, { deployment, ...range }))
      } catch (error) {
        // Endpoints cap getLogs ranges in blocks or results; a smaller range often passes. A dead endpoint says nothing about ranges.
        if (!(error instanceof AbortedError) && !(error instanceof ChainUnreachableError) && batchSize > 1n) batchSize /= 2n
        throw error
      }
      // Read before the handler runs, so that nothing but the save itself can fail between handling a range and recording it.
      const hash = range.toBlock === latest.number ? latest.hash : (await getBlock({ blockNumber: range.toBlock }))?.hash
      await callHandler('onEvents', init.onEvents, [events, range], range)
      cursor = { block: range.toBlock, hash: hash ?? undefined }
      await cursorStore.save(cursor)
      log.trace('handled blocks %d–%d: %d events', range.fromBlock, range.toBlock, events.length)
      batchSize = min(batchSize * 2n, initialBatchSize)
    }
    if (head?.number === latest.number) return
    head = { number: latest.number, hash: latest.hash, timestamp: latest.timestamp, observedAt }
    await readPrice(head)
    try {
      await callHandler('onBlock', init.onBlock, [head])
    } catch (error) {
      report(error)
    }
  }

  const run = async () => {
    let delay = retryDelay
    while (!signal.aborted) {
      try {
        await pollOnce()
        consecutiveErrors = 0
        delay = retryDelay
        await sleep(pollingInterval)
      } catch (error) {
        if (signal.aborted) break
        consecutiveErrors++
        report(error)
        log('retrying in %d ms', delay)
        await sleep(delay)
        delay = Math.min(delay * 2, maxRetryDelay)
      }
    }
  }

  return {
    async start() {
      if (running || signal.aborted) return
      running = true
      log('following market %s from block %d', deployment.market, fromBlock)
      loop = run().finally(() => {
        running = false
        log('stopped at block %s', cursor?.block ?? 'none')
        resolveDone()
      })
    },
    async stop() {
      controller.abort()
      if (loop) await loop
      else resolveDone()
    },
    poll() {
      if (wake) wake()
      else wakeRequested = true
    },
    done,
    status: () => ({ running, cursor, head, price, errors, consecutiveErrors }),
  }
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b
}

function withResolvers<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}
