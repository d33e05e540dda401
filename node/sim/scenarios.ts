import type { Random } from './random.ts'

const HOUR = 3_600
const DAY = 24 * HOUR

/** A window of simulated seconds, start included, end excluded. */
export type Window = { from: number; to: number }

/**
 * One stress scenario: what happens to the collateral's price, gas, keepers, the feed and demand.
 * Everything is a function of simulated time, so the same seed replays the same run.
 */
export type Scenario = {
  name: string
  description: string
  /** Multiplies the calm price path: the stress itself (1 outside the event). */
  shock: (t: number) => number
  /** Annualized volatility of the noise on the price. */
  sigma: number
  /** Gas price multiplier over the baseline. */
  gas: (t: number) => number
  /** Windows in which every keeper is offline. */
  keeperDropout: Window[]
  /** Windows in which the feed publishes nothing (its last round stands). */
  feedFrozen: Window[]
  /** Demand multiplier over the baseline. */
  demand: (t: number) => number
  /** A wave of unstaked or thinly staked providers joins at this time. */
  sybilAt?: number
  /** Windows with short blocks (the stress): 5 minutes instead of an hour. */
  busy: Window[]
}

/** When the stress starts in every scenario that has one: after ten quiet days. */
export const STRESS_AT = 10 * DAY

const none = () => 1
/** The −50 % over 24 h path (Black Thursday was about −50 % in a day for ETH). */
const crash50 = (t: number) => (t < STRESS_AT ? 1 : t < STRESS_AT + DAY ? Math.exp(Math.log(0.5) * ((t - STRESS_AT) / DAY)) : 0.5)
const crashWindow: Window = { from: STRESS_AT - HOUR, to: STRESS_AT + DAY + 6 * HOUR }
/** Gas rises (and falls back) at most 12.5 % per block, the EIP-1559 limit, so a ×100 spike takes ~40 blocks to build. */
const gasSpike = (peak: number) => (t: number) => {
  if (t < STRESS_AT || t >= STRESS_AT + DAY) return 1
  const blocks = Math.min((t - STRESS_AT) / 300, (STRESS_AT + DAY - t) / 300)
  return Math.min(peak, 1.125 ** blocks)
}

const base: Omit<Scenario, 'name' | 'description'> = { shock: none, sigma: 0.6, gas: none, keeperDropout: [], feedFrozen: [], demand: none, busy: [] }

export const scenarios: Record<string, Scenario> = {
  baseline: { ...base, name: 'baseline', description: 'calm market, 60 % annual volatility, no stress' },
  crash50: { ...base, name: 'crash50', description: 'collateral −50 % over 24 h (Black Thursday)', shock: crash50, busy: [crashWindow] },
  flash10: {
    ...base,
    name: 'flash10',
    description: 'collateral −10 % in 30 min, half of it recovered over the next day',
    shock: (t) => (t < STRESS_AT ? 1 : t < STRESS_AT + 1_800 ? 1 - 0.1 * ((t - STRESS_AT) / 1_800) : 0.9 + 0.05 * Math.min(1, (t - STRESS_AT - 1_800) / DAY)),
    busy: [{ from: STRESS_AT - HOUR, to: STRESS_AT + 6 * HOUR }],
  },
  volatile: { ...base, name: 'volatile', description: 'no trend, 250 % annual volatility', sigma: 2.5, busy: [{ from: STRESS_AT, to: STRESS_AT + 2 * DAY }] },
  gas6: { ...base, name: 'gas6', description: 'the −50 % crash with gas ×6 during it', shock: crash50, gas: gasSpike(6), busy: [crashWindow] },
  gas100: { ...base, name: 'gas100', description: 'the −50 % crash with gas ×100 during it', shock: crash50, gas: gasSpike(100), busy: [crashWindow] },
  keeperDropout: {
    ...base,
    name: 'keeperDropout',
    description: 'the −50 % crash with every keeper offline from its 8th to its 12th hour (48 blocks), when positions start to fail',
    shock: crash50,
    // Health factors cross 1 from about six hours into the crash; the dark hours must overlap the liquidations they stress.
    keeperDropout: [{ from: STRESS_AT + 8 * HOUR, to: STRESS_AT + 12 * HOUR }],
    busy: [crashWindow],
  },
  staleFeed: {
    ...base,
    name: 'staleFeed',
    description: 'the −50 % crash with the feed frozen for 6 hours in the middle of it',
    shock: crash50,
    feedFrozen: [{ from: STRESS_AT + 6 * HOUR, to: STRESS_AT + 12 * HOUR }],
    busy: [crashWindow],
  },
  sybil: { ...base, name: 'sybil', description: 'a wave of 30 unstaked or thinly staked providers undercuts the book', sybilAt: STRESS_AT, busy: [{ from: STRESS_AT, to: STRESS_AT + DAY }] },
  demandSpike: {
    ...base,
    name: 'demandSpike',
    description: 'demand ×6 for two days, pushing utilization past the 0.8 kink',
    demand: (t) => (t >= STRESS_AT && t < STRESS_AT + 2 * DAY ? 6 : 1),
    busy: [{ from: STRESS_AT, to: STRESS_AT + 2 * DAY }],
  },
}

export const scenarioNames = Object.keys(scenarios)
/** The scenarios with a collateral crash, over which the sweep measures bad debt. */
export const crashScenarios = ['crash50', 'flash10', 'gas6', 'keeperDropout', 'staleFeed']

export const inWindow = (windows: readonly Window[], t: number) => windows.some((w) => t >= w.from && t < w.to)

/**
 * The collateral's true price at each step: the scenario's shock times a driftless geometric random walk.
 *
 * @returns a function of (simulated second, seconds since the last step) that must be called in time order.
 */
export function createPricePath(scenario: Scenario, random: Random, start: number): (t: number, dt: number) => number {
  let noise = 0
  return (t, dt) => {
    const years = dt / (365 * DAY)
    noise += scenario.sigma * Math.sqrt(years) * random.normal() - 0.5 * scenario.sigma ** 2 * years
    return start * scenario.shock(t) * Math.exp(noise)
  }
}
