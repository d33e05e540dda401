import { rm } from 'node:fs/promises'
import { join } from 'node:path'
import type { Hex } from 'viem'
import { DEAL_PROTOCOL, LOGS_PROTOCOL, RESULT_PROTOCOL } from '../../protocol/protocols.ts'
import type { SignedAsk } from '../../protocol/types/ask.ts'
import { getMaxDealCollateral } from '../chain/actions/readMarket.ts'
import { chainNow } from '../chain/chainNow.ts'
import { levelCursorStore } from '../chain/events/cursorStore.ts'
import { createEventFollower, type EventFollower } from '../chain/events/createEventFollower.ts'
import type { MarketEvent } from '../chain/events/types.ts'
import { logger } from '../log/logger.ts'
import { watchFollower } from '../chain/metrics.ts'
import { observeProviderEvent, providerMetrics } from './metrics.ts'
import { defaultProviderInit, type ProviderComponents, type ProviderContext, type ProviderInit } from './context.ts'
import { jobRecords, type JobState } from './jobRecords.ts'
import { createLogBook } from './logBook.ts'
import { handleProposal } from './negotiate.ts'
import { runDeal } from './runDeal.ts'
import { handleLogsRequest, handleResultRequest } from './serve.ts'
import { signAsk, toResources } from './signAsk.ts'

export type ProviderStatus = {
  address: Hex
  peerId: string
  ask: SignedAsk | undefined
  jobs: Record<JobState, number>
  counters: ProviderContext['counters']
  backingRoom: bigint
}

export type Provider = {
  start: () => Promise<void>
  stop: () => Promise<void>
  status: () => Promise<ProviderStatus>
  /** Re-signs and republishes the ask now (after capacity or prices change). */
  advertise: () => Promise<void>
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
  const running = new Map<string, Promise<void>>()
  const records = jobRecords(components.store.sublevel('jobs'))

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
    currentAsk: () => ask,
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
          context.schedule(event.args.dealId)
        }
      } else if (event.eventName === 'DealSettled' || event.eventName === 'DealLiquidated') {
        const record = await records.get(event.args.dealId)
        if (record && record.state !== 'settled' && record.state !== 'failed') {
          const state: JobState = event.eventName === 'DealSettled' ? 'settled' : 'failed'
          await records.update(event.args.dealId, { state, ...(state === 'failed' ? { failure: 'liquidated' } : {}) })
        }
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

  const provider: Provider = {
    async start() {
      const { host } = components
      await host.handle(DEAL_PROTOCOL, (stream, connection) => handleProposal(context, stream, connection))
      await host.handle(RESULT_PROTOCOL, (stream, connection) => handleResultRequest(context, stream, connection))
      await host.handle(LOGS_PROTOCOL, (stream, connection) => handleLogsRequest(context, stream, connection))
      await context.refreshBacking()
      follower = createEventFollower(components.clients, {
        deployment: components.deployment,
        cursor: levelCursorStore(components.store.sublevel('cursors'), 'provider'),
        pollingInterval: options.chainPollingMs,
        onEvents,
        onError: (error) => log.error('chain events: %s', error.message),
        signal: controller.signal,
      })
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
      if (controller.signal.aborted) return
      ask = await signAsk(context)
      await components.publisher.publishAsk(ask.signed, { signal: controller.signal })
    },
    async status() {
      const jobs = { offered: 0, accepted: 0, running: 0, finished: 0, committed: 0, delivered: 0, settled: 0, failed: 0, expired: 0 } as Record<JobState, number>
      for (const record of await records.all()) jobs[record.state] += 1
      return { address: context.address, peerId: components.host.peerId.toString(), ask: ask?.signed, jobs, counters: context.counters, backingRoom: context.backingRoom() }
    },
  }
  return provider
}
