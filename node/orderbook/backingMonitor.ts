import type { Logger } from '../log/logger.ts'
import { defaultAdmissionInit, type AdmissionInit } from './admission.ts'
import type { Backing } from './backing.ts'
import type { BookState } from './bookState.ts'

export type BackingMonitorComponents = { state: BookState; backing: Backing; logger: Logger }

/** The horizon, skew and clock are admission's: a provider unchanged for longer than both is forgotten. */
export type BackingMonitorInit = Pick<AdmissionInit, 'maxHorizonSec' | 'maxClockSkewSec' | 'now'> & {
  /** How often expired orders are pruned and backing re-checked, ms (default 10 000). */
  pruneInterval?: number
  /** An ask stays only while its provider can back this much deal collateral (default 1). */
  minBacking?: bigint
}

export const defaultBackingMonitorInit = {
  pruneInterval: 10_000,
  minBacking: 1n,
  maxHorizonSec: defaultAdmissionInit.maxHorizonSec,
  maxClockSkewSec: defaultAdmissionInit.maxClockSkewSec,
  now: defaultAdmissionInit.now,
} satisfies Required<BackingMonitorInit>

/** Keeps the book current: expired orders out, forgotten providers dropped, unbacked asks removed. */
export interface BackingMonitor {
  start(): void
  stop(): Promise<void>
  /** One pass now (concurrent calls share it). */
  check(): Promise<void>
}

/**
 * Creates the monitor: every `pruneInterval` (and once at start) it removes
 * expired orders, forgets providers whose every ask has expired for sure (past
 * the horizon), and re-reads every other provider's backing, removing the asks
 * of those that can no longer back a deal.
 *
 * @param components - The state and the backing check.
 * @param init - Interval, minimum backing, horizon, clock.
 * @returns The monitor, not started.
 * @example
 * const monitor = createBackingMonitor({ state, backing, logger })
 * monitor.start()
 */
export function createBackingMonitor({ state, backing, logger: log }: BackingMonitorComponents, init: BackingMonitorInit = {}): BackingMonitor {
  const { pruneInterval, minBacking, maxHorizonSec, maxClockSkewSec, now } = { ...defaultBackingMonitorInit, ...init }
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined

  const once = async () => {
    const at = now()
    // After the horizon, every ask signed before a provider's last change has expired: its sequence and cancel can go.
    state.pruneExpired(at, at - maxHorizonSec - maxClockSkewSec)
    await Promise.all(
      state.othersAsks().map(async (record) => {
        const provider = record.entry.ask.provider
        try {
          const backed = await backing.canBack(provider, minBacking)
          const available = backed && backing.available ? await backing.available(provider) : undefined
          state.setBacking(record, backed, available)
        } catch (error) {
          log.error('backing re-check of %s failed: %s', provider, (error as Error).message)
        }
      }),
    )
  }
  const check = () => {
    running ??= once().finally(() => (running = undefined))
    return running
  }

  return {
    check,
    start: () => {
      timer = setInterval(() => void check(), pruneInterval)
      timer.unref()
      void check()
    },
    stop: async () => {
      clearInterval(timer)
      await running
    },
  }
}
