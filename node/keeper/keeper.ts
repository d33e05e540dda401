import { erc20Abi, parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { ensureAllowance } from '../chain/actions/ensureAllowance.ts'
import { getDeal, getEffectiveFactors, getHealthFactor, getParameters, getPosition } from '../chain/actions/readMarket.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { ContractRevertError, toChainError } from '../chain/errors.ts'
import { createEventFollower, type EventFollower } from '../chain/events/createEventFollower.ts'
import { levelCursorStore, type StoredCursor } from '../chain/events/cursorStore.ts'
import type { ChainHead, MarketEvent } from '../chain/events/types.ts'
import { logger, type Logger } from '../log/logger.ts'
import { BPS, WAD, positionLiquidationAmount } from './closeFactor.ts'
import { createDealBook, type DealBook, type DealBookChange, type StoredDeal, type TrackedDeal } from './createDealBook.ts'
import { createTransactionSender, type TransactionSender } from './createTransactionSender.ts'
import { estimateProfit, type ProfitEstimate } from './estimateProfit.ts'
import { TransactionRevertedError, isLostRace } from './errors.ts'
import type {
  DealLiquidationReason,
  Keeper,
  KeeperComponents,
  KeeperEvents,
  KeeperMetrics,
  ResolvedKeeperInit,
  SkipReason,
} from './index.ts'

type MarketParameters = Awaited<ReturnType<typeof getParameters>>
type Target = { kind: 'deal' | 'position'; target: Hex }

/** Longest deadline timer armed; later deadlines are armed by a later block. */
const MAX_TIMER_MS = 60 * 60 * 1000

/**
 * The keeper service behind `createKeeper`.
 *
 * Deadlines: a deal is liquidatable from the first block stamped at or after its deadline, and the
 * liquidation can land no earlier than the block after the one that shows it. So each open deal gets a
 * timer at its deadline (local time, corrected by the largest chain-minus-local offset seen), which
 * switches the follower to polling every `deadlinePollInterval`; the first head that passes the deadline
 * triggers the liquidation in the same tick. On 1 s blocks it lands in the next block: 1 s after the deadline.
 *
 * Work started from a block never holds the follower up: liquidations run beside it, one transaction
 * at a time leaving the account (see `createTransactionSender`), at most one per deal or position.
 */
export class DefaultKeeper implements Keeper {
  readonly address: Address
  readonly #events = new EventTarget()
  readonly #clients: ChainClients
  readonly #deployment: Deployment
  readonly #init: ResolvedKeeperInit
  readonly #log: Logger
  readonly #book: DealBook
  readonly #sender: TransactionSender
  readonly #cursors: ReturnType<typeof levelCursorStore>
  #follower: EventFollower | undefined
  #controller: AbortController | undefined
  #head: ChainHead | undefined
  /** Chain time minus local time, ms: the largest seen, since a block is never stamped later than it is seen. */
  #clockOffset: number | undefined
  readonly #timers = new Map<Hex, NodeJS.Timeout>()
  #fastPoll: NodeJS.Timeout | undefined
  #fastPollUntil = 0
  readonly #inFlight = new Map<string, Promise<void>>()
  readonly #retryAt = new Map<string, number>()
  readonly #failures = new Map<string, number>()
  /** Deals this keeper liquidated for good, until the follower reads the event and drops them. */
  readonly #finished = new Set<Hex>()
  readonly #dirtyProviders = new Set<Address>()
  /** Work that was asked for again while it ran: looked at again the moment it ends, not a block later. */
  readonly #lookAgain = new Set<string>()
  #retryDeferred = false
  #parameters: Promise<MarketParameters> | undefined
  #allowance: Promise<unknown> | undefined
  #resumedFrom: bigint | undefined
  #stopping: Promise<void> | undefined
  readonly #counters = { dealsLiquidated: 0, positionsLiquidated: 0, lostRaces: 0, skipped: 0, errors: 0, keeperBonus: 0n, repaid: 0n, collateralSeized: 0n, gasUsed: 0n }

  constructor({ clients, deployment, store, logger: log }: KeeperComponents, init: ResolvedKeeperInit) {
    this.#clients = clients
    this.#deployment = deployment
    this.#init = init
    this.#log = log ?? logger('keeper')
    this.address = clients.wallet.account.address
    this.#book = createDealBook(store.sublevel<StoredDeal>(`keeper-deals:${deployment.market}`))
    this.#cursors = levelCursorStore(store.sublevel<StoredCursor>('cursors'), `keeper:${deployment.market}`)
    this.#sender = createTransactionSender(clients, { deployment, receiptTimeout: init.receiptTimeout })
  }

  addEventListener<K extends keyof KeeperEvents & string>(
    type: K,
    listener: (event: CustomEvent<KeeperEvents[K]>) => void,
    options?: Parameters<EventTarget['addEventListener']>[2],
  ): void {
    this.#events.addEventListener(type, listener as (event: Event) => void, options)
  }

  removeEventListener<K extends keyof KeeperEvents & string>(type: K, listener: (event: CustomEvent<KeeperEvents[K]>) => void, options?: Parameters<EventTarget['removeEventListener']>[2]): void {
    this.#events.removeEventListener(type, listener as (event: Event) => void, options)
  }

  dispatchEvent(event: Event): boolean {
    return this.#events.dispatchEvent(event)
  }

  async start(): Promise<void> {
    if (this.#controller || this.#init.signal?.aborted) return
    const controller = new AbortController()
    this.#controller = controller
    this.#init.signal?.addEventListener('abort', () => void this.stop(), { once: true })
    await this.#book.load()
    this.#resumedFrom = (await this.#cursors.load())?.block
    const init = this.#init
    this.#follower = createEventFollower(this.#clients, {
      deployment: this.#deployment,
      cursor: this.#cursors,
      fromBlock: init.fromBlock,
      pollingInterval: init.pollingInterval,
      confirmations: init.confirmations,
      batchSize: init.batchSize,
      retryDelay: init.retryDelay,
      maxRetryDelay: init.maxRetryDelay,
      logger: this.#log,
      signal: controller.signal,
      onEvents: (events) => this.#onEvents(events),
      onBlock: (head) => this.#onBlock(head),
      onPrice: () => this.#onPrice(),
      onReset: () => this.#reset(),
      onError: (error) => this.#emitError({ error }),
    })
    await this.#follower.start()
    // Once, up front, so that a position liquidation is not held up by an approval; retried before one if this fails.
    this.#ensureAllowance().catch((error) => this.#emitError({ error: this.#named(error, 'approve') }))
    this.#log('keeper %s started on market %s with %d deals remembered', this.address, this.#deployment.market, this.#book.size)
  }

  stop(): Promise<void> {
    this.#stopping ??= this.#shutDown()
    return this.#stopping
  }

  async #shutDown(): Promise<void> {
    const controller = this.#controller
    if (!controller) return
    controller.abort()
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    clearInterval(this.#fastPoll)
    this.#fastPoll = undefined
    await this.#follower?.stop()
    const pending = [...this.#inFlight.values()]
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.#init.stopTimeout)))
      await Promise.race([Promise.allSettled(pending), timeout])
      clearTimeout(timer)
    }
    this.#log('keeper %s stopped', this.address)
  }

  metrics(): KeeperMetrics {
    const status = this.#follower?.status()
    return {
      ...this.#counters,
      dealsTracked: this.#book.size,
      providersTracked: this.#book.providers().size,
      lastBlock: this.#head?.number,
      cursor: status?.cursor,
      resumedFrom: this.#resumedFrom,
    }
  }

  get #stopped(): boolean {
    return !this.#controller || this.#controller.signal.aborted
  }

  /* ------------------------------------------ chain ------------------------------------------ */

  async #onEvents(events: MarketEvent[]): Promise<void> {
    const changes = await this.#book.apply(events)
    for (const event of events) {
      this.#emit('observed', event)
      switch (event.eventName) {
        case 'CollateralDeposited':
        case 'WithdrawalRequested':
        case 'WithdrawalCancelled':
        case 'Withdrawn':
        case 'PositionLiquidated':
          this.#dirtyProviders.add(event.args.provider)
          break
        case 'VolatilityUpdated':
          // Lower factors may have made positions unhealthy, whichever keeper updated them.
          for (const provider of this.#book.providers()) this.#dirtyProviders.add(provider)
          break
      }
    }
    let due = false
    for (const change of changes) due = this.#onChange(change) || due
    if (due || this.#dirtyProviders.size > 0) this.#check()
  }

  /** @returns whether the change makes something liquidatable now. */
  #onChange(change: DealBookChange): boolean {
    const { deal } = change
    const key = `deal:${deal.dealId}`
    switch (change.type) {
      case 'opened':
        this.#log.trace('tracking deal %s of %s, deadline %d', deal.dealId, deal.terms.provider, deal.terms.deadline)
        this.#armTimer(deal)
        return this.#head !== undefined && this.#head.timestamp >= deal.terms.deadline
      case 'phase':
        if (deal.phase !== 'open') this.#clearTimer(deal.dealId)
        if (deal.phase === 'defaulted') this.#retryAt.delete(key)
        return deal.phase === 'defaulted'
      case 'removed':
        this.#clearTimer(deal.dealId)
        this.#finished.delete(deal.dealId)
        this.#retryAt.delete(key)
        this.#failures.delete(key)
        // What a deal liquidation took from the provider changes its health factor.
        if (change.reason === 'liquidated') this.#dirtyProviders.add(deal.terms.provider)
        return false
    }
  }

  async #onBlock(head: ChainHead): Promise<void> {
    this.#head = head
    const offset = Number(head.timestamp) * 1000 - head.observedAt
    if (this.#clockOffset === undefined || offset > this.#clockOffset) {
      // Time travel on a dev chain (or a first block) moves every deadline's local time.
      const moved = this.#clockOffset === undefined || offset - this.#clockOffset > 1_000
      this.#clockOffset = offset
      if (moved) {
        for (const timer of this.#timers.values()) clearTimeout(timer)
        this.#timers.clear()
      }
    }
    for (const deal of this.#book.deals()) this.#armTimer(deal)
    this.#check()
  }

  async #onPrice(): Promise<void> {
    for (const provider of this.#book.providers()) this.#dirtyProviders.add(provider)
    this.#retryDeferred = true
    this.#check()
    if (!this.#inFlight.has('volatility')) this.#track('volatility', () => this.#updateVolatility())
  }

  /**
   * A new feed round: takes it into the market's volatility estimate, which moves the effective
   * collateral factor and liquidation threshold. Someone else having done it first is no error.
   */
  async #updateVolatility(): Promise<void> {
    const parameters = await this.#readParameters()
    if (parameters.volatilityWeightBps === 0 || !this.#deployment.priceFeed) return
    // Liquidations the new price started go first: they are urgent, this is bookkeeping.
    await Promise.allSettled([...this.#inFlight].filter(([key]) => key !== 'volatility').map(([, work]) => work))
    const round = this.#follower?.status().price?.roundId
    try {
      const { hash } = await this.#sender.send('updateVolatility', [], { signal: this.#controller?.signal })
      const { collateralFactorBps, liquidationThresholdBps } = await getEffectiveFactors(this.#clients, { deployment: this.#deployment })
      this.#log('volatility updated (tx %s): effective CF %d bps, LT %d bps', hash, collateralFactorBps, liquidationThresholdBps)
      this.#emit('volatility', { collateralFactorBps, liquidationThresholdBps, hash })
      // Lower factors may have made positions unhealthy.
      for (const provider of this.#book.providers()) this.#dirtyProviders.add(provider)
      this.#check()
    } catch (error) {
      if (this.#stopped && isAbort(error)) return
      if (error instanceof ContractRevertError && error.errorName === 'VolatilityUpToDate') return
      // Another keeper's update landed first in the same block: ours reverted on chain, which is no error either.
      if (error instanceof TransactionRevertedError && round !== undefined && (await this.#volatilityTakenIn(round, error.blockNumber))) return
      this.#emitError({ error: this.#named(error, 'updateVolatility') })
    }
  }

  async #reset(): Promise<void> {
    this.#log('the chain no longer has the stored cursor: forgetting %d deals', this.#book.size)
    for (const timer of this.#timers.values()) clearTimeout(timer)
    this.#timers.clear()
    this.#finished.clear()
    this.#retryAt.clear()
    this.#failures.clear()
    this.#dirtyProviders.clear()
    this.#lookAgain.clear()
    this.#parameters = undefined
    this.#allowance = undefined
    await this.#book.clear()
  }

  /* ----------------------------------------- timers ------------------------------------------ */

  #armTimer(deal: TrackedDeal): void {
    if (deal.phase !== 'open' || this.#timers.has(deal.dealId) || this.#clockOffset === undefined || this.#stopped) return
    // Already due: the check at each block handles it.
    if (this.#head && this.#head.timestamp >= deal.terms.deadline) return
    const delay = Number(deal.terms.deadline) * 1000 - (Date.now() + this.#clockOffset)
    if (delay > MAX_TIMER_MS) return
    const timer = setTimeout(() => {
      this.#timers.delete(deal.dealId)
      this.#pollFast()
    }, Math.max(0, delay))
    timer.unref()
    this.#timers.set(deal.dealId, timer)
  }

  /**
   * Around a deadline, polls for the block that passes it every `deadlinePollInterval` instead of
   * waiting for the next regular poll: the liquidation goes out as soon as that block is seen.
   */
  #pollFast(): void {
    if (this.#stopped) return
    this.#fastPollUntil = Date.now() + this.#init.deadlinePollWindow
    this.#follower?.poll()
    if (this.#fastPoll) return
    this.#fastPoll = setInterval(() => {
      if (Date.now() > this.#fastPollUntil || this.#stopped) {
        clearInterval(this.#fastPoll)
        this.#fastPoll = undefined
        return
      }
      this.#follower?.poll()
    }, this.#init.deadlinePollInterval)
    this.#fastPoll.unref()
  }

  #clearTimer(dealId: Hex): void {
    clearTimeout(this.#timers.get(dealId))
    this.#timers.delete(dealId)
  }

  /* ----------------------------------------- checks ------------------------------------------ */

  /** Starts every liquidation that is due; returns at once (the follower is not held up). */
  #check(): void {
    const head = this.#head
    if (!head || this.#stopped) return
    const now = Date.now()
    const retryDeferred = this.#retryDeferred
    this.#retryDeferred = false
    for (const deal of this.#book.deals()) {
      const key = `deal:${deal.dealId}`
      if (this.#finished.has(deal.dealId) || this.#inFlight.has(key)) continue
      const reason: DealLiquidationReason | undefined =
        deal.phase === 'open' && head.timestamp >= deal.terms.deadline ? 'deadline'
        : deal.phase === 'defaulted' ? 'dispute'
        : deal.phase === 'liquidating' && retryDeferred ? 'deferred'
        : undefined
      if (!reason) continue
      if (reason !== 'deferred' && (this.#retryAt.get(key) ?? 0) > now) continue
      this.#track(key, () => this.#liquidateDeal(deal, reason))
    }
    const providers = [...this.#dirtyProviders]
    this.#dirtyProviders.clear()
    for (const provider of providers) {
      const key = `position:${provider}`
      // Busy: looked at again as soon as the running check ends (a partial liquidation is followed up in the next block,
      // even when its receipt comes after the follower has handled that block). Backing off: at a later block.
      if (this.#inFlight.has(key) || (this.#retryAt.get(key) ?? 0) > now) {
        this.#dirtyProviders.add(provider)
        if (this.#inFlight.has(key)) this.#lookAgain.add(key)
        continue
      }
      this.#track(key, () => this.#checkPosition(provider))
    }
  }

  #track(key: string, run: () => Promise<void>): void {
    const promise = run()
      .catch((error) => this.#emitError({ error: this.#named(error, key) }))
      .finally(() => {
        this.#inFlight.delete(key)
        if (this.#lookAgain.delete(key)) this.#check()
      })
    this.#inFlight.set(key, promise)
  }

  /* ------------------------------------------ deals ------------------------------------------ */

  async #liquidateDeal(deal: TrackedDeal, reason: DealLiquidationReason): Promise<void> {
    const target: Target = { kind: 'deal', target: deal.dealId }
    const key = `deal:${deal.dealId}`
    try {
      const parameters = await this.#readParameters()
      const owed = deal.phase === 'liquidating' ? (await getDeal(this.#clients, { deployment: this.#deployment, dealId: deal.dealId, provider: deal.terms.provider })).collateral : deal.terms.collateral
      const estimate = await this.#estimate((owed * BigInt(parameters.keeperBonusBps)) / BPS, this.#init.gasLimits.liquidateDeal)
      if (estimate.profit < this.#init.minProfit) return this.#skip(target, key, 'unprofitable', estimate)

      this.#log('liquidating deal %s (%s)', deal.dealId, reason)
      const result = await this.#sender.send('liquidateDeal', [deal.terms], { signal: this.#controller?.signal })
      const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealLiquidated', logs: result.receipt.logs })
      const args = event?.args ?? { refund: 0n, compensation: 0n, keeperBonus: 0n, deferred: 0n }
      if (args.deferred > 0n) await this.#book.setPhase(deal.dealId, 'liquidating')
      else this.#finished.add(deal.dealId)
      this.#failures.delete(key)
      this.#counters.dealsLiquidated++
      this.#counters.keeperBonus += args.keeperBonus
      this.#counters.gasUsed += result.gasUsed
      this.#dirtyProviders.add(deal.terms.provider)
      const blockTimestamp = await this.#blockTimestamp(result.receipt)
      this.#log('liquidated deal %s in block %d (deadline %d, block time %d): bonus %d', deal.dealId, result.receipt.blockNumber, deal.terms.deadline, blockTimestamp, args.keeperBonus)
      this.#emit('liquidated', {
        kind: 'deal',
        dealId: deal.dealId,
        provider: deal.terms.provider,
        client: deal.terms.client,
        reason,
        deadline: deal.terms.deadline,
        hash: result.hash,
        blockNumber: result.receipt.blockNumber,
        blockTimestamp,
        refund: args.refund,
        compensation: args.compensation,
        keeperBonus: args.keeperBonus,
        deferred: args.deferred,
        gasUsed: result.gasUsed,
      })
    } catch (error) {
      if (error instanceof ContractRevertError && error.errorName === 'DeadlineNotReached') {
        // Seen a block early (its timestamp passed, the simulation's did not); the next block retries.
        this.#log.trace('deal %s not yet past its deadline', deal.dealId)
        return
      }
      if (error instanceof ContractRevertError && error.errorName === 'DealNotFound') {
        // A deal this market never had: left over from a chain that was reset.
        await this.#book.remove(deal.dealId)
        return this.#skip(target, key, 'dealNotFound')
      }
      await this.#failed(target, key, error, (blockNumber) => this.#sender.simulate('liquidateDeal', [deal.terms], { blockNumber }))
    }
  }

  /* ---------------------------------------- positions ---------------------------------------- */

  async #checkPosition(provider: Address): Promise<void> {
    const target: Target = { kind: 'position', target: provider }
    const key = `position:${provider}`
    const deployment = this.#deployment
    let amount: bigint | undefined
    try {
      const healthFactor = await getHealthFactor(this.#clients, { deployment, provider })
      if (healthFactor >= WAD) {
        this.#failures.delete(key)
        return
      }
      const [position, balance, parameters] = await Promise.all([
        getPosition(this.#clients, { deployment, provider }),
        this.#clients.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'balanceOf', args: [this.address] }),
        this.#readParameters(),
      ])
      if (position.collateral + position.pendingWithdrawal === 0n) return this.#skip(target, key, 'nothingToSeize')
      amount = positionLiquidationAmount({ position, healthFactor, balance })
      if (amount === 0n) return this.#skip(target, key, balance === 0n ? 'noBalance' : 'nothingToCover')
      const estimate = await this.#estimate((amount * BigInt(parameters.liquidationBonusBps)) / BPS, this.#init.gasLimits.liquidatePosition)
      if (estimate.profit < this.#init.minProfit) return this.#skip(target, key, 'unprofitable', estimate)

      await this.#ensureAllowance()
      this.#log('liquidating position of %s: health factor %d, covering %d', provider, healthFactor, amount)
      const result = await this.#sender.send('liquidatePosition', [provider, amount], { signal: this.#controller?.signal })
      const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'PositionLiquidated', logs: result.receipt.logs })
      const repaid = event?.args.repaid ?? amount
      const collateralSeized = event?.args.collateralSeized ?? 0n
      this.#failures.delete(key)
      this.#counters.positionsLiquidated++
      this.#counters.repaid += repaid
      this.#counters.collateralSeized += collateralSeized
      this.#counters.gasUsed += result.gasUsed
      // One liquidation may leave the position below 1 (close factor); look again at the next block.
      this.#dirtyProviders.add(provider)
      const blockTimestamp = await this.#blockTimestamp(result.receipt)
      this.#log('liquidated position of %s in block %d: repaid %d, seized %d', provider, result.receipt.blockNumber, repaid, collateralSeized)
      this.#emit('liquidated', {
        kind: 'position',
        provider,
        healthFactor,
        repaid,
        collateralSeized,
        hash: result.hash,
        blockNumber: result.receipt.blockNumber,
        blockTimestamp,
        gasUsed: result.gasUsed,
      })
    } catch (error) {
      if (error instanceof ContractRevertError && error.errorName.startsWith('TransferFrom')) this.#allowance = undefined
      await this.#failed(target, key, error, async (blockNumber) => {
        // The same call on the state the transaction met: another keeper's liquidation earlier in that block leaves the
        // position healthy (PositionHealthy) or that block's close factor spent (CloseFactorUsed).
        if (amount !== undefined) return this.#sender.simulate('liquidatePosition', [provider, amount], { blockNumber })
        const healthFactor = await getHealthFactor(this.#clients, { deployment, provider, blockNumber })
        if (healthFactor >= WAD) throw new ContractRevertError({ functionName: 'liquidatePosition', errorName: 'PositionHealthy', args: [healthFactor] })
      })
    }
  }

  /** Whether the market's volatility estimate had taken in feed round `round` (or a later one) by the end of `blockNumber`. */
  async #volatilityTakenIn(round: bigint, blockNumber: bigint): Promise<boolean> {
    try {
      const [taken] = await this.#clients.public.readContract({ address: this.#deployment.market, abi: allotMarketAbi, functionName: 'volatility', blockNumber })
      return taken >= round
    } catch {
      return false
    }
  }

  #ensureAllowance(): Promise<unknown> {
    this.#allowance ??= this.#sender
      .exclusive(() => ensureAllowance(this.#clients, { token: this.#deployment.paymentToken, spender: this.#deployment.market, amount: 2n ** 255n }))
      .catch((error) => {
        this.#allowance = undefined
        throw error
      })
    return this.#allowance
  }

  /* ----------------------------------------- helpers ----------------------------------------- */

  #readParameters(): Promise<MarketParameters> {
    this.#parameters ??= getParameters(this.#clients, { deployment: this.#deployment }).catch((error) => {
      this.#parameters = undefined
      throw error
    })
    return this.#parameters
  }

  async #estimate(bonus: bigint, gasLimit: bigint): Promise<ProfitEstimate> {
    const { nativePrice } = this.#init
    const gasPrice = nativePrice > 0n ? await this.#clients.public.getGasPrice() : 0n
    return estimateProfit({ bonus, gasLimit, gasPrice, nativePrice })
  }

  async #blockTimestamp(receipt: TransactionReceipt): Promise<bigint> {
    if (this.#head?.number === receipt.blockNumber) return this.#head.timestamp
    try {
      return (await this.#clients.public.getBlock({ blockNumber: receipt.blockNumber })).timestamp
    } catch {
      return 0n
    }
  }

  #skip({ kind, target }: Target, key: string, reason: SkipReason, estimate?: ProfitEstimate): void {
    this.#counters.skipped++
    // A deal is looked at every block, so it waits; a position only when its price or position changes.
    if (kind === 'deal') this.#retryAt.set(key, Date.now() + this.#init.skipRetryDelay)
    this.#log('skipped %s %s: %s', kind, target, reason)
    this.#emit('skipped', { kind, target, reason, ...(estimate ? { bonus: estimate.bonus, gasCost: estimate.gasCost } : {}) })
  }

  /**
   * Sorts a failed liquidation: a competitor that got there first is a lost race (a revert that the
   * simulation did not predict is re-simulated to learn its reason); anything else is an error,
   * retried after a doubling back-off.
   */
  async #failed({ kind, target }: Target, key: string, error: unknown, resimulate: (blockNumber: bigint) => Promise<void>): Promise<void> {
    if (this.#stopped && isAbort(error)) return
    let lost = isLostRace(error) ? error.errorName : undefined
    if (!lost && error instanceof TransactionRevertedError) {
      try {
        // On the state the transaction met: a keeper that looks later may see a newer one.
        await resimulate(error.blockNumber)
      } catch (reason) {
        if (isLostRace(reason)) lost = reason.errorName
      }
    }
    if (kind === 'position') this.#dirtyProviders.add(target)
    if (lost) {
      this.#counters.lostRaces++
      this.#retryAt.set(key, Date.now() + this.#init.retryDelay)
      this.#log('lost race for %s %s: %s', kind, target, lost)
      this.#emit('lostRace', { kind, target, errorName: lost })
      return
    }
    const failures = (this.#failures.get(key) ?? 0) + 1
    this.#failures.set(key, failures)
    this.#retryAt.set(key, Date.now() + Math.min(this.#init.retryDelay * 2 ** failures, this.#init.maxRetryDelay))
    this.#emitError({ kind, target, error: this.#named(error, kind === 'deal' ? 'liquidateDeal' : 'liquidatePosition') })
  }

  /** An error as allot names it: a revert by its custom error, a dead endpoint as `ChainUnreachableError`. */
  #named(error: unknown, functionName: string): Error {
    const named = toChainError(error, { functionName, rpcUrl: this.#clients.rpcUrl })
    return named instanceof Error ? named : new Error(String(named))
  }

  #emitError(detail: KeeperEvents['error']): void {
    this.#counters.errors++
    const { error } = detail
    this.#log.error('%s%s: %s', detail.target ? `${detail.kind} ${detail.target}: ` : '', error.name, (error as { shortMessage?: string }).shortMessage ?? error.message)
    this.#emit('error', detail)
  }

  #emit<K extends keyof KeeperEvents & string>(type: K, detail: KeeperEvents[K]): void {
    this.dispatchEvent(new CustomEvent(type, { detail }))
  }
}

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error.cause instanceof Error && error.cause.name === 'AbortError'))
}
