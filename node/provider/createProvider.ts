import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { DEAL_PROTOCOL, LOGS_PROTOCOL, RESULT_PROTOCOL } from '../../protocol/protocols.ts'
import type { SignedAsk } from '../../protocol/types/ask.ts'
import type { Resources, Runtime as RuntimeKind } from '../../protocol/types/resources.ts'
import { getDeal, getMaxDealCollateral } from '../chain/actions/readMarket.ts'
import { chainNow } from '../chain/chainNow.ts'
import { levelCursorStore } from '../chain/events/cursorStore.ts'
import { createEventFollower, type EventFollower } from '../chain/events/createEventFollower.ts'
import type { MarketEvent } from '../chain/events/types.ts'
import { logger } from '../log/logger.ts'
import { watchFollower } from '../chain/metrics.ts'
import { observeProviderEvent, providerMetrics } from './metrics.ts'
import { defaultProviderInit, type ProviderComponents, type ProviderContext, type ProviderInit } from './context.ts'
import type { TypedEventTarget } from '../keeper/typedEventTarget.ts'
import type { ProviderEvents } from './dealEvents.ts'
import { jobRecords, type JobState } from './jobRecords.ts'
import { createLogBook } from './logBook.ts'
import { handleProposal } from './negotiate.ts'
import { runDeal } from './runDeal.ts'
import { handleLogsRequest, handleResultRequest } from './serve.ts'
import { freeResources, signAsk, toResources } from './signAsk.ts'

export type ProviderStatus = {
  address: Hex
  peerId: string
  ask: SignedAsk | undefined
  jobs: Record<JobState, number>
  counters: ProviderContext['counters']
  backingRoom: bigint
  runtimes: RuntimeKind[]
  /** What is free of the advertised capacity now (the published ask shows it as of its signing). */
  free: Resources
  /** Every GPU sold, and the deal (or proposal being answered) that holds it. */
  gpus: { uuid: string; index: number; model: string; vramMiB: number; heldBy: Hex | null }[]
  /** Payment-token units: what settled deals paid (from their DealSettled events), and the prices of committed deals not yet settled. */
  earnings: { settled: bigint; committedPrices: bigint }
}

/** Emits `deal` for every step of every deal it takes part in (see `ProviderDealEvent`). */
export type Provider = TypedEventTarget<ProviderEvents> & {
  start: () => Promise<void>
  stop: () => Promise<void>
  status: () => Promise<ProviderStatus>
  /** Re-signs and republishes the ask now (after capacity or prices change). */
  advertise: () => Promise<void>
  /** Stops signing and advertising at once: the chain is down or changed (see watchChain). */
  pause: (reason: string) => void
  /**
   * Signs and advertises again once the chain is back; with `resync`, first reads the
   * market anew from the deployment block and fails the deals the chain no longer has.
   */
  resume: (options: { resync: boolean }) => Promise<void>
}

/**
 * A provider: advertises its capacity as asks, negotiates deals over
 * `/allot/deal/1.0.0`, runs the jobs of deals opened on chain, commits their
 * result hashes and serves results and live logs to their clients.
 *
 * @example
 * const provider = createProvider({ host, clients, deployment, store, ledger, runtimes, publisher: orderBook, registry }, { home, prices })
 * await provider.start()
 */
export function createProvider(components: ProviderComponents, init: ProviderInit): Provider {
  const options = { ...defaultProviderInit, ...init }
  const controller = new AbortController()
  const log = logger('provider')
  let ask: { signed: SignedAsk; hash: Hex } | undefined
  let chainRoom = 0n
  let follower: EventFollower | undefined
  let republish: NodeJS.Timeout | undefined
  let pruner: NodeJS.Timeout | undefined
  let resubscribed: NodeJS.Timeout | undefined
  let stopListening = () => {}
  let pausedBy: string | undefined
  const running = new Map<string, Promise<void>>()
  const records = jobRecords(components.store.sublevel('jobs'))
  const events = new EventTarget()

  const context: ProviderContext = {
    ...components,
    ...options,
    pricing: init.pricing,
    records,
    log,
    address: components.clients.wallet.account.address,
    advertisedResources: toResources(components.ledger.capacity),
    logs: createLogBook(),
    metrics: providerMetrics(components.registry),
    signal: controller.signal,
    counters: { done: 0, failed: 0, running: 0, declined: 0 },
    emit: (detail) => void events.dispatchEvent(new CustomEvent('deal', { detail })),
    currentAsk: () => (pausedBy ? undefined : ask),
    paused: () => pausedBy,
    offers: new Map(),
    backingRoom: () => {
      // Terms signed but not yet opened will take their collateral when they are.
      let pending = 0n
      for (const [dealId, offer] of context.offers) {
        if (offer.expiresAt <= Date.now()) context.offers.delete(dealId)
        else pending += offer.collateral
      }
      return chainRoom - pending
    },
    refreshBacking: async () => {
      chainRoom = await getMaxDealCollateral(components.clients, { deployment: components.deployment, provider: context.address }).catch(() => chainRoom)
    },
    paths: {
      jobBundle: (jobHash) => join(options.home, 'jobs', `${jobHash.toLowerCase()}.bundle`),
      jobFiles: (jobHash) => join(options.home, 'jobs', jobHash.toLowerCase()),
      result: (dealId) => join(options.home, 'results', `${dealId.toLowerCase()}.bundle`),
      work: join(options.home, 'work'),
    },
    schedule: (dealId) => {
      const key = dealId.toLowerCase()
      if (running.has(key)) return
      const run = runDeal(context, dealId)
        .catch((error) => {
          if (!controller.signal.aborted) log.error('deal %s: %O', dealId, error)
        })
        .finally(() => {
          running.delete(key)
          void provider.advertise().catch(() => {})
        })
      running.set(key, run)
    },
  }

  const onEvents = async (events: MarketEvent[]) => {
    for (const event of events) {
      observeProviderEvent(context.metrics, event, context.address)
      if (event.eventName === 'DealOpened') {
        context.offers.delete(event.args.dealId.toLowerCase())
        const record = await records.get(event.args.dealId)
        if (record?.state === 'offered') {
          await records.update(event.args.dealId, { state: 'accepted' })
          context.emit({ kind: 'opened', dealId: record.dealId, client: record.terms.client, price: record.terms.price })
          context.schedule(event.args.dealId)
        }
      } else if (event.eventName === 'DealSettled') {
        // The payout is the chain's own figure, so the provider's earnings always match what it was paid.
        const record = await records.get(event.args.dealId)
        if (record && record.payout === undefined) {
          await records.update(event.args.dealId, { state: 'settled', payout: event.args.providerAmount })
          context.emit({ kind: 'settled', dealId: record.dealId, payout: event.args.providerAmount })
        }
      } else if (event.eventName === 'DealsSettled') {
        // settleMany names the deals, not each payout: each record takes its price (before the fee).
        for (const dealId of event.args.dealIds) {
          const record = await records.get(dealId)
          if (record && record.payout === undefined) {
            await records.update(dealId, { state: 'settled', payout: record.terms.price })
            context.emit({ kind: 'settled', dealId, payout: record.terms.price })
          }
        }
      } else if (event.eventName === 'DealLiquidated') {
        const record = await records.get(event.args.dealId)
        if (record && record.state !== 'settled' && record.failure !== 'liquidated') {
          await records.update(event.args.dealId, { state: 'failed', failure: 'liquidated' })
          const { refund, compensation, keeper } = event.args
          context.emit({ kind: 'liquidated', dealId: record.dealId, refund, compensation, keeper })
        }
      } else if (event.eventName === 'DealDisputed') {
        const record = await records.get(event.args.dealId)
        if (record) context.emit({ kind: 'disputed', dealId: record.dealId, bond: event.args.bond })
      }
      if ('provider' in event.args && event.args.provider === context.address) await context.refreshBacking()
    }
  }

  // Results of finished deals stay for their clients for a while, then go.
  const prune = async () => {
    const cutoff = Date.now() - options.resultRetentionSeconds * 1000
    for (const record of await records.all()) {
      if (!['settled', 'failed', 'expired', 'delivered'].includes(record.state) || record.updatedAt > cutoff) continue
      await rm(context.paths.result(record.dealId), { force: true })
      await rm(context.paths.jobBundle(record.terms.jobHash), { force: true })
      await rm(context.paths.jobFiles(record.terms.jobHash), { recursive: true, force: true })
    }
  }

  const recover = async () => {
    const now = await chainNow(components.clients)
    for (const record of await records.all()) {
      if (record.state === 'offered' && Number(record.terms.expiry) < now) await records.update(record.dealId, { state: 'expired' })
      else if (record.state === 'accepted' || record.state === 'running' || record.state === 'finished') context.schedule(record.dealId)
    }
  }

  const followMarket = () =>
    createEventFollower(components.clients, {
      deployment: components.deployment,
      cursor: levelCursorStore(components.store.sublevel('cursors'), 'provider'),
      pollingInterval: options.chainPollingMs,
      onEvents,
      onError: (error) => log.error('chain events: %s', error.message),
      signal: controller.signal,
    })

  // After a restart the chain has none of the deals signed before it: they can never be committed or paid.
  const forgetLostDeals = async () => {
    for (const record of await records.all()) {
      if (['settled', 'failed', 'expired'].includes(record.state)) continue
      const onChain = await getDeal(components.clients, { deployment: components.deployment, dealId: record.dealId }).catch(() => undefined)
      if (onChain?.statusName === 'None' && record.state !== 'offered') await records.update(record.dealId, { state: 'failed', failure: 'chain-restarted' })
      else if (onChain?.statusName === 'None') await records.update(record.dealId, { state: 'expired' })
    }
    context.offers.clear()
  }

  const provider: Provider = {
    addEventListener: (type, listener, options) => events.addEventListener(type, listener as (event: Event) => void, options),
    removeEventListener: (type, listener, options) => events.removeEventListener(type, listener as (event: Event) => void, options),
    dispatchEvent: (event) => events.dispatchEvent(event),
    async start() {
      const { host } = components
      await host.handle(DEAL_PROTOCOL, (stream, connection) => handleProposal(context, stream, connection))
      await host.handle(RESULT_PROTOCOL, (stream, connection) => handleResultRequest(context, stream, connection))
      await host.handle(LOGS_PROTOCOL, (stream, connection) => handleLogsRequest(context, stream, connection))
      await context.refreshBacking()
      follower = followMarket()
      await follower.start()
      watchFollower(components.registry, 'provider', follower.status)
      context.metrics.watch(context)
      await recover()
      await prune().catch((error) => log.error('pruning results: %s', error.message))
      pruner = setInterval(() => void prune().catch((error) => log.error('pruning results: %s', error.message)), 3600_000)
      await provider.advertise()
      // An ask published before any peer subscribed reached no one: publish anew when one does.
      const onSubscription = () => {
        clearTimeout(resubscribed)
        resubscribed = setTimeout(() => void provider.advertise().catch((error) => log.error('advertise: %s', error.message)), 250)
      }
      host.services.pubsub.addEventListener('subscription-change', onSubscription)
      stopListening = () => host.services.pubsub.removeEventListener('subscription-change', onSubscription)
      republish = setInterval(() => void provider.advertise().catch((error) => log.error('advertise: %s', error.message)), (options.askTtlSeconds * 1000) / 2)
      log('provider %s started as %s', context.address, host.peerId.toString())
    },
    async stop() {
      controller.abort()
      clearInterval(republish)
      clearInterval(pruner)
      clearTimeout(resubscribed)
      stopListening()
      await follower?.stop()
      await Promise.allSettled(running.values())
      for (const protocol of [DEAL_PROTOCOL, RESULT_PROTOCOL, LOGS_PROTOCOL]) await components.host.unhandle(protocol).catch(() => {})
    },
    async advertise() {
      if (controller.signal.aborted || pausedBy) return
      ask = await signAsk(context)
      await components.publisher.publishAsk(ask.signed, { signal: controller.signal })
    },
    pause(reason) {
      if (pausedBy === undefined) log('paused: %s', reason)
      pausedBy = reason
    },
    async resume({ resync }) {
      if (controller.signal.aborted) return
      if (resync) {
        await follower?.stop()
        // The stored cursor names a block of the old history: the new follower finds it does not match and starts from the deployment block.
        follower = followMarket()
        await follower.start()
        await forgetLostDeals()
      }
      await context.refreshBacking()
      pausedBy = undefined
      log('resumed (resync %s)', resync)
      await provider.advertise()
    },
    async status() {
      const jobs = { offered: 0, accepted: 0, running: 0, finished: 0, committed: 0, delivered: 0, settled: 0, failed: 0, expired: 0 } as Record<JobState, number>
      const earnings = { settled: 0n, committedPrices: 0n }
      for (const record of await records.all()) {
        jobs[record.state] += 1
        earnings.settled += record.payout ?? 0n
        if (record.state === 'committed' || record.state === 'delivered') earnings.committedPrices += record.terms.price
      }
      const holders = new Map(components.ledger.reservations().flatMap((reservation) => reservation.gpus.map((gpu) => [gpu.uuid, reservation.id as Hex] as const)))
      const gpus = components.ledger.capacity.gpus.map(({ uuid, index, model, vramMiB }) => ({ uuid, index, model, vramMiB, heldBy: holders.get(uuid) ?? null }))
      const runtimes = Object.keys(components.runtimes).sort() as RuntimeKind[]
      return { address: context.address, peerId: components.host.peerId.toString(), ask: ask?.signed, jobs, counters: context.counters, backingRoom: context.backingRoom(), runtimes, free: freeResources(context), gpus, earnings }
    },
  }
  return provider
}
