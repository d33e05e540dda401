import { encodePacked, keccak256, parseUnits, toHex, zeroHash, type Address, type Hex } from 'viem'
import type { PrivateKeyAccount } from 'viem/accounts'
import { WAD } from '../../protocol/constants.ts'
import { dealCollateral } from '../../protocol/pricing/dealCollateral.ts'
import { utilizationMultiplier } from '../../protocol/pricing/utilizationMultiplier.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import { createPopulation, type ClientAgent, type ProviderAgent } from './agents.ts'
import { AccountingBrokenError, SimChainError } from './errors.ts'
import { deploySimMarket, type SimEvent, type SimMarket, type SimMarketParameters, type SimPosition } from './marketAdapter.ts'
import { createRandom } from './random.ts'
import { createPricePath, inWindow, STRESS_AT, type Scenario } from './scenarios.ts'
import { SIM_GENESIS, SIM_START, startSimChain, type SimCall, type SimChain } from './simChain.ts'
import { startSimKeepers, type SimKeeper, type SimKeeperPool, type SimKeeperProfile } from './simKeepers.ts'

const HOUR = 3_600
const DAY = 24 * HOUR
const PAYMENT = 10 ** 6
const START_PRICE = 2
/** Baseline gas: an L2-like 0.05 gwei, so that a keeper's gas is worth cents until a spike. */
const BASE_GAS_PRICE = 50_000_000n
/** Native coin price the keepers value gas at, payment units. */
const NATIVE_PRICE = 3_000n * BigInt(PAYMENT)

export type RunScenarioOptions = {
  scenario: Scenario
  seed: number
  parameters: SimMarketParameters
  /** Simulated days of trading before the end-of-run drain. */
  days?: number
  /** Deals the clients try to open per day at baseline demand. */
  demandPerDay?: number
  /** Check the accounting identity after every `checkEvery` blocks (1 = every block). */
  checkEvery?: number
  /** Keep per-block series for the report. */
  series?: boolean
  /** When the stress starts, simulated seconds after the start (the scenarios' day 10 by default); small runs bring it forward. */
  stressAt?: number
  /** Seconds between blocks outside and inside the stress windows. */
  calmBlock?: number
  busyBlock?: number
  /** Quiet time after trading stops, for deals in flight to finish. */
  drain?: number
  onProgress?: (text: string) => void
  signal?: AbortSignal
}

/** One block's view for the report's charts. */
export type BlockSample = {
  t: number
  block: number
  price: number
  feed: number
  gas: number
  utilization: number
  multiplier: number
  opened: number
  insuranceFund: number
  /** Health factors of providers with obligations: 5th, 25th and 50th percentiles (capped at 3). */
  hf: [number, number, number]
}

/** Everything measured in one seed of one scenario. */
export type SeedResult = {
  scenario: string
  seed: number
  blocks: number
  simDays: number
  dealsOpened: number
  dealsSettled: number
  dealsDefaulted: number
  dealsRefused: number
  /** Payment-unit value the rules took from providers: deal compensation owed plus collateral seized by position liquidations. */
  slashedValue: number
  badDebt: number
  badDebtPctOfSlashed: number
  /** What providers' collateral and coverage could not pay, before the insurance fund stepped in (value-at-risk of the fund). */
  providerShortfall: number
  providerShortfallPctOfSlashed: number
  honestSlashed: number
  honestProvidersSlashed: string[]
  liquidationDelays: number[]
  liquidationDelaysLive: number[]
  /** Keeper dropout scenarios: how liquidations fared while every keeper was offline and after they came back. */
  dropout?: DropoutResult
  zeroValueLiquidations: number
  unprofitableLiquidations: number
  /** Liquidations a keeper lost to another keeper or to a front-running settlement (the keepers' own count). */
  lostRaces: number
  compensationOwed: number
  compensationPaid: number
  compensationPaidPct: number
  insuranceFundEnd: number
  keeperProfit: Record<string, number>
  /** Per keeper: liquidations it landed, liquidations it weighed and skipped, errors (lost races included). */
  keeperActivity: Record<string, { liquidations: number; skipped: number; errors: number }>
  selfDealExits: number
  utilizationMean: number
  /** Share of deals priced on the steep part of the curve (the provider's utilization past the 0.8 kink). */
  utilizationAboveKinkShare: number
  elasticityAboveKink: number | undefined
  /** Deal value backed per unit of collateral value locked, time-averaged. */
  capitalEfficiency: number
  accountingChecks: number
  /** Hash of every block's transactions in order (sender, target, gas, price, status): what replays must agree on. */
  chainDigest: Hex
  ignoredParameters: string[]
  seconds: number
  series?: BlockSample[]
}

/** When and how a deal or position became liquidatable. */
type Eligibility = { eligibleBlock: number; live: boolean; at: number }

/** A liquidation in a dropout scenario: when its target became liquidatable (hours from the dropout's start) and how long it waited. */
export type DropoutPoint = { hours: number; delay: number; during: boolean }

export type DropoutResult = {
  /** The window in which every keeper was offline, scenario seconds. */
  window: { from: number; to: number }
  /** The first block the keepers saw again (their liquidations land from the next one). */
  endBlock: number
  /** Delays (blocks) of liquidations of what became liquidatable during the dropout, and after it. */
  delaysDuring: number[]
  delaysAfter: number[]
  /** Blocks from the keepers' return until the last thing that fell due during the dropout was liquidated. */
  recoveryBlocks: number
  points: DropoutPoint[]
}

type DealRecord = {
  dealId: Hex
  terms: DealTerms
  provider: ProviderAgent
  client: ClientAgent
  openedAt: number
  finishAt: number
  units: number
  willCommit: boolean
  status: 'open' | 'committed' | 'settled' | 'liquidating' | 'liquidated'
  committedAt?: number
  eligibleBlock?: number
  /** Whether some keeper was running when the deal became liquidatable. */
  eligibleLive?: boolean
  /** Scenario time it became liquidatable. */
  eligibleAt?: number
  clientLiquidationSent?: boolean
}

const keeperProfiles: SimKeeperProfile[] = [
  // A naive operator: liquidates whatever it may, gas ignored.
  { name: 'eager', every: 1, minProfit: 0n, nativePrice: 0n },
  // A careful one on a slower node: every other block, counts gas, wants 0.05 tokens a call.
  { name: 'careful', every: 2, minProfit: 50_000n, nativePrice: NATIVE_PRICE },
  // A profit-seeker that leaves the market on day 12.
  { name: 'quitting', every: 1, minProfit: 10_000n, nativePrice: NATIVE_PRICE, dropsOutAt: 12 * DAY },
]

/**
 * Runs one seed of one scenario on a fresh anvil with the real market and the real keepers, and
 * measures it. The agents' transactions of a step go into one block in a fixed order; the keepers then
 * look at that block and their liquidations land in the next one.
 *
 * @example
 * const result = await runScenario({ scenario: scenarios.crash50, seed: 1, parameters: defaultSimMarketParameters })
 */
export async function runScenario(options: RunScenarioOptions): Promise<SeedResult> {
  const { scenario, seed, parameters, days = 30, demandPerDay = 80, checkEvery = 25, calmBlock = HOUR, busyBlock = 300, drain = DAY, signal } = options
  const started = Date.now()
  const random = createRandom(seed)
  const chain = await startSimChain({ signal })
  let keepers: Awaited<ReturnType<typeof startSimKeepers>> | undefined
  try {
    const market = await deploySimMarket(chain, { parameters, collateralPrice: BigInt(START_PRICE * 1e8) })
    const { providers, clients, keeperKeys } = createPopulation({ random: random.fork('population'), collateralPrice: START_PRICE, sybilAt: scenario.sybilAt })
    const deployed = Number((await chain.public.getBlock()).timestamp)
    if (deployed >= SIM_START) throw new SimChainError({ reason: `deployment ran past the simulation's first block (${deployed - SIM_GENESIS} s after genesis)` })
    const start = SIM_START
    await chain.manualMining()
    await setUp(chain, market, providers, clients, keeperKeys)
    keepers = await startSimKeepers(
      chain,
      market.deployment,
      keeperProfiles.map((profile, i) => ({ profile, privateKey: keeperKeys[i]! })),
    )
    // The scenarios are written with the stress on day 10; a run that wants it sooner sees their clock shifted.
    const shift = STRESS_AT - (options.stressAt ?? STRESS_AT)
    const run = createRun({ chain, market, scenario, random, providers, clients, keepers: keepers.keepers, start, days, demandPerDay, checkEvery, series: options.series ?? false, parameters, shift })
    run.setKeepers(keepers.step)
    run.setSeed(seed)
    // Funding, approvals and stakes go into the first block.
    const first = await chain.mine(BigInt(start), BASE_GAS_PRICE)
    run.absorb(first.number, start, market.decode(first.receipts.values()), [...first.receipts.values()].filter((r) => r.status !== 'success').length)
    let t = start
    const end = start + days * DAY
    const drainEnd = end + drain
    let lastReport = Date.now()
    while (t < drainEnd) {
      signal?.throwIfAborted()
      const dt = inWindow(scenario.busy, t - start + run.shift) ? busyBlock : calmBlock
      t += dt
      await run.step(t, dt, t < end)
      if (options.onProgress && Date.now() - lastReport > 5_000) {
        lastReport = Date.now()
        options.onProgress(`${scenario.name} seed ${seed}: day ${((t - start) / DAY).toFixed(1)}, ${run.dealsOpened()} deals`)
      }
    }
    await run.checkBooks(true)
    if (process.env.ALLOT_SIM_TIMING) options.onProgress?.(`timing ms: ${JSON.stringify(run.timing)}`)
    return { ...run.result(), ignoredParameters: market.ignored, seconds: (Date.now() - started) / 1000 }
  } finally {
    await keepers?.stop()
    await chain.stop()
  }
}

async function setUp(chain: SimChain, market: SimMarket, providers: ProviderAgent[], clients: ClientAgent[], keeperKeys: Hex[]) {
  const { privateKeyToAccount } = await import('viem/accounts')
  const operator = market.feedOperator
  const ether = 10n ** 22n
  const accounts = [...providers.map((p) => p.account), ...clients.map((c) => c.account), ...keeperKeys.map((k) => privateKeyToAccount(k))]
  await Promise.all(accounts.map((account) => chain.setBalance(account.address, ether)))
  const max = 2n ** 255n
  const sends: Promise<unknown>[] = []
  for (const provider of providers) {
    const stake = parseUnits(provider.stake.toFixed(6), 18)
    sends.push(chain.send(operator, market.calls.mintCollateral(provider.account.address, stake * 10n + 10n ** 18n), 'mint'))
    sends.push(chain.send(operator, market.calls.mintPayment(provider.account.address, 1_000_000n * BigInt(PAYMENT)), 'mint'))
  }
  for (const client of clients) sends.push(chain.send(operator, market.calls.mintPayment(client.account.address, 100_000_000n * BigInt(PAYMENT)), 'mint'))
  for (const key of keeperKeys) sends.push(chain.send(operator, market.calls.mintPayment(privateKeyToAccount(key).address, 10_000_000n * BigInt(PAYMENT)), 'mint'))
  sends.push(chain.send(operator, market.calls.mintPayment(operator.address, 1_000_000n * BigInt(PAYMENT)), 'mint'))
  await Promise.all(sends)
  // Approvals after the mints (same block, later nonces for the operator; agents' own first transactions).
  for (const provider of providers) {
    await chain.send(provider.account, market.calls.approveCollateral(max), 'approve')
    await chain.send(provider.account, market.calls.approvePayment(max), 'approve')
  }
  for (const client of clients) await chain.send(client.account, market.calls.approvePayment(max), 'approve')
  await chain.send(operator, market.calls.approvePayment(max), 'approve')
  // A seed insurance fund, as the demo has.
  await chain.send(operator, market.calls.fundInsurance(1_000n * BigInt(PAYMENT)), 'fundInsurance')
  // Stakes of providers present from the start go in with the first block; Sybils stake when they join.
  for (const provider of providers) {
    if (provider.joinsAt > 0 || provider.stake <= 0) continue
    await chain.send(provider.account, market.calls.depositCollateral(parseUnits(provider.stake.toFixed(6), 18)), 'deposit')
  }
}

type RunContext = {
  chain: SimChain
  market: SimMarket
  scenario: Scenario
  random: ReturnType<typeof createRandom>
  providers: ProviderAgent[]
  clients: ClientAgent[]
  keepers: SimKeeper[]
  start: number
  days: number
  demandPerDay: number
  checkEvery: number
  series: boolean
  parameters: SimMarketParameters
  /** Added to the time since the start before the scenario is asked anything. */
  shift: number
}

function createRun(ctx: RunContext) {
  const { chain, market, scenario, providers, clients, keepers, start, parameters } = ctx
  const demandRandom = ctx.random.fork('demand')
  const priceRandom = ctx.random.fork('price')
  const behaviour = ctx.random.fork('behaviour')
  const raceRandom = ctx.random.fork('races')
  const truePrice = createPricePath(scenario, priceRandom, START_PRICE)
  const byAddress = new Map(providers.map((p) => [p.account.address.toLowerCase(), p]))
  const deals = new Map<Hex, DealRecord>()
  const pendingDeals = new Map<Hex, DealRecord>()
  const busyUnits = new Map<number, number>()
  const committedDeals: DealRecord[] = []
  let positions = new Map<Address, SimPosition>()
  let feedPrice = START_PRICE
  let feedUpdatedAt = start
  let price = START_PRICE
  /** The true price when the keepers last decided (the block before the one being mined). */
  let previousPrice = START_PRICE
  let gasMultiplier = 1
  let blockNumber = 0
  let escrow = 0n
  let badDebtUnits = 0n
  /** CF and LT in force (the volatility rule moves them), read after every block. */
  let factors = { collateralFactorBps: parameters.collateralFactorBps, liquidationThresholdBps: parameters.liquidationThresholdBps }
  const claimants: { token: Address; account: Address }[] = []
  const samples: BlockSample[] = []
  const quitting = new Set<number>()
  const joined = new Set<number>(providers.filter((p) => p.joinsAt === 0).map((p) => p.index))
  const positionEpisodes = new Map<Address, Eligibility>()
  const dropout = scenario.keeperDropout.length > 0 ? { during: [] as number[], after: [] as number[], points: [] as DropoutPoint[], endBlock: undefined as number | undefined, lastDuring: undefined as number | undefined } : undefined
  let saltCounter = 0n
  let checks = 0
  // Measured quantities.
  const m = {
    opened: 0,
    settled: 0,
    defaulted: 0,
    refused: 0,
    slashed: 0,
    badDebt: 0,
    insuranceUsed: 0,
    compensationOwed: 0,
    compensationPaid: 0,
    delays: [] as number[],
    delaysLive: [] as number[],
    zeroValue: 0,
    unprofitable: 0,
    selfDealExits: 0,
    honestSlashed: new Set<string>(),
    keeperProfit: Object.fromEntries(keepers.map((k) => [k.profile.name, 0])) as Record<string, number>,
    efficiencyNum: 0,
    efficiencyDen: 0,
    bids: [] as { multiplier: number; accepted: boolean }[],
    utilSamples: [] as { u: number; multiplier: number; demand: number; opened: number }[],
    insuranceFund: 1_000,
  }
  const keeperByAddress = new Map(keepers.map((k) => [k.address.toLowerCase(), k]))
  const liveAt = (elapsed: number, keeper: SimKeeper) =>
    !inWindow(scenario.keeperDropout, elapsed) && (keeper.profile.dropsOutAt === undefined || elapsed < keeper.profile.dropsOutAt) && blockNumber % keeper.profile.every === 0
  const anyKeeperLive = (elapsed: number) => !inWindow(scenario.keeperDropout, elapsed) && keepers.some((k) => k.profile.dropsOutAt === undefined || elapsed < k.profile.dropsOutAt)

  const unitsUsed = (p: ProviderAgent) => busyUnits.get(p.index) ?? 0
  const backingRoom = (p: ProviderAgent, extra: number) => {
    const position = positions.get(p.account.address)
    const collateral = position ? Number(position.collateral) / 1e18 : 0
    const obligations = position ? Number(position.obligations) / PAYMENT : 0
    const coverage = position ? Number(position.coverage) / PAYMENT : 0
    return cf() * collateral * feedPrice + coverage - obligations - extra
  }
  const cf = () => factors.collateralFactorBps / 10_000

  async function step(t: number, dt: number, trading: boolean) {
    let mark = Date.now()
    const elapsed = t - start + ctx.shift
    previousPrice = price
    price = truePrice(elapsed, dt)
    gasMultiplier = scenario.gas(elapsed)
    const calls: { account: PrivateKeyAccount; call: SimCall; tag: string; tip?: bigint; deal?: DealRecord }[] = []
    const send = (account: PrivateKeyAccount, call: SimCall, tag: string, extra: { tip?: bigint; deal?: DealRecord } = {}) => calls.push({ account, call, tag, ...extra })

    // The feed: a Chainlink-like 0.5 % deviation threshold or a 1 h heartbeat, unless frozen.
    if (!inWindow(scenario.feedFrozen, elapsed) && (Math.abs(price / feedPrice - 1) > 0.005 || t - feedUpdatedAt >= HOUR)) {
      send(market.feedOperator, market.calls.setPrice(BigInt(Math.round(price * 1e8))), 'feed')
      feedPrice = price
      feedUpdatedAt = t
    }
    // Sybils arrive.
    for (const p of providers) {
      if (joined.has(p.index) || p.joinsAt > elapsed) continue
      joined.add(p.index)
      if (p.stake > 0) send(p.account, market.calls.depositCollateral(parseUnits(p.stake.toFixed(6), 18)), 'deposit')
    }
    // Quitters walk away once their collateral has lost a quarter of its value.
    for (const p of providers) {
      if (p.kind === 'quitter' && !quitting.has(p.index) && feedPrice < START_PRICE * 0.75) quitting.add(p.index)
    }
    // Providers commit finished jobs.
    for (const deal of deals.values()) {
      if (deal.status !== 'open' || !deal.willCommit || deal.finishAt > t || BigInt(t) >= deal.terms.deadline) continue
      if (quitting.has(deal.provider.index)) continue
      send(deal.provider.account, market.calls.commitResult(deal.terms, keccak256(toHex(`result:${deal.dealId}`))), 'commit')
    }
    // Clients settle committed deals at once; the front-runner's clients leave it to the provider.
    for (const deal of committedDeals.splice(0)) {
      if (deal.status !== 'committed') continue
      if (deal.provider.kind === 'frontrun') {
        committedDeals.push(deal)
        continue
      }
      send(deal.client.account, market.calls.settle(deal.terms), 'settle')
    }
    // The front-runner settles its own deals (after the challenge window) the moment its position is liquidatable,
    // with a high tip so that its settlements land before the keepers' liquidations; otherwise after six hours.
    for (const p of providers.filter((x) => x.kind === 'frontrun')) {
      const hf = positions.get(p.account.address)?.healthFactor
      const unhealthy = hf !== undefined && hf < WAD
      for (const deal of committedDeals) {
        if (deal.provider !== p || deal.status !== 'committed' || deal.committedAt === undefined) continue
        const windowOver = t - deal.committedAt >= parameters.challengeWindow
        if (windowOver && (unhealthy || t - deal.committedAt >= 6 * HOUR)) send(p.account, market.calls.settle(deal.terms), unhealthy ? 'frontrunSettle' : 'settle', { tip: unhealthy ? 100n * 10n ** 9n : 0n })
      }
    }
    // Clients liquidate their own defaulted deals when no keeper has within six blocks (`allot job cancel`).
    for (const deal of deals.values()) {
      if ((deal.status === 'open' || deal.status === 'liquidating') && deal.eligibleBlock !== undefined && blockNumber - deal.eligibleBlock >= 6 && !deal.clientLiquidationSent) {
        deal.clientLiquidationSent = true
        send(deal.client.account, market.calls.liquidateDeal(deal.terms), 'clientLiquidation')
      }
    }
    // The self-dealer tries to leave through a deal with itself when its collateral falls.
    for (const p of providers.filter((x) => x.kind === 'selfDeal')) {
      if (feedPrice >= START_PRICE * 0.8 || quitting.has(p.index)) continue
      quitting.add(p.index)
      const room = backingRoom(p, 0)
      if (room <= 1) continue
      const terms: DealTerms = {
        client: p.account.address,
        provider: p.account.address,
        price: 1n,
        collateral: BigInt(Math.floor(room * 0.99 * PAYMENT)),
        jobHash: keccak256(toHex(`self:${p.index}`)),
        deadline: BigInt(t + 1),
        expiry: BigInt(t),
        salt: ++saltCounter,
      }
      const signature = await market.signTerms(p.account, terms)
      send(p.account, market.calls.openDeal(terms, signature), 'selfDeal')
      const record: DealRecord = { dealId: '0x', terms, provider: p, client: { index: -1, account: p.account }, openedAt: t, finishAt: Infinity, units: 0, willCommit: false, status: 'open' }
      pendingDeals.set(keccak256(toHex(`pending:${saltCounter}`)), record)
      selfDeals.push(record)
    }
    // New demand, matched against the providers' quotes on the kinked curve.
    const opened: DealRecord[] = []
    let demand = 0
    if (trading) {
      const bids = demandRandom.poisson((ctx.demandPerDay * scenario.demand(elapsed) * dt) / DAY)
      demand = bids
      const reserved = new Map<number, number>()
      for (let i = 0; i < bids; i++) {
        const client = clients[demandRandom.int(0, clients.length - 1)]!
        const units = demandRandom.int(1, 3)
        const hours = demandRandom.int(4, 24)
        const willingness = 0.9 * Math.exp(0.35 * demandRandom.normal())
        let best: { provider: ProviderAgent; quote: number; multiplier: number } | undefined
        for (const p of providers) {
          if (!joined.has(p.index) || quitting.has(p.index)) continue
          const used = unitsUsed(p) + (reserved.get(p.index) ?? 0)
          if (used + units > p.capacity) continue
          const u = (used + units) / p.capacity
          const multiplier = Number(utilizationMultiplier(BigInt(Math.round(u * 1e6)) * 10n ** 12n)) / 1e18
          const quote = p.unitPrice * multiplier * units * hours
          const collateral = (quote * p.collateralBps) / 10_000
          // The book admits only asks whose position backs the deal (the over-committer's own check is off).
          const pendingCollateral = opened.filter((d) => d.provider === p).reduce((s, d) => s + Number(d.terms.collateral) / PAYMENT, 0)
          if (p.kind !== 'overcommit' && backingRoom(p, pendingCollateral) < collateral) continue
          if (p.kind === 'overcommit' && backingRoom(p, 0) < collateral) continue
          if (!best || quote < best.quote) best = { provider: p, quote, multiplier }
        }
        if (best) m.bids.push({ multiplier: best.multiplier, accepted: best.quote <= willingness * units * hours })
        if (!best || best.quote > willingness * units * hours) continue
        const p = best.provider
        reserved.set(p.index, (reserved.get(p.index) ?? 0) + units)
        const priceUnits = BigInt(Math.max(1, Math.round(best.quote * PAYMENT)))
        const terms: DealTerms = {
          client: client.account.address,
          provider: p.account.address,
          price: priceUnits,
          collateral: dealCollateral(priceUnits, p.collateralBps),
          jobHash: keccak256(toHex(`job:${ctx.random.next()}:${saltCounter}`)),
          deadline: BigInt(t + hours * HOUR + HOUR),
          expiry: BigInt(t),
          salt: ++saltCounter,
        }
        const willCommit = p.kind === 'dust' ? behaviour.chance(0.5) : !behaviour.chance(p.missRate)
        const record: DealRecord = { dealId: '0x', terms, provider: p, client, openedAt: t, finishAt: t + Math.round(hours * HOUR * (0.5 + 0.4 * behaviour.next())), units, willCommit, status: 'open' }
        opened.push(record)
        openedBySalt.set(terms.salt, record)
        const signature = await market.signTerms(p.account, terms)
        send(client.account, market.calls.openDeal(terms, signature), 'openDeal', { deal: record })
      }
    }

    timing.agents += Date.now() - mark
    mark = Date.now()
    // Send in order, mine, read back.
    const hashes = new Map<Hex, { tag: string; deal?: DealRecord }>()
    const sent = await chain.sendAll(calls)
    for (const [i, c] of calls.entries()) hashes.set(sent[i]!.hash, { tag: c.tag, deal: c.deal })
    const nextGas = BigInt(Math.round(Number(BASE_GAS_PRICE) * scenario.gas(elapsed + dt)))
    const block = await chain.mine(BigInt(t), nextGas)
    blockNumber = Number(block.number)
    let failed = 0
    // Every transaction of the block as it landed, chained: two runs of a seed must agree on it, not only on the figures.
    chainDigest = keccak256(
      encodePacked(
        ['bytes32', 'uint256', 'string'],
        [chainDigest, block.number, [...block.receipts.values()].map((r) => `${r.from}:${r.to}:${r.gasUsed}:${r.effectiveGasPrice}:${r.status}`).join(',')],
      ),
    )
    for (const receipt of block.receipts.values()) {
      gasCosts.set(receipt.transactionHash, (Number(receipt.gasUsed * receipt.effectiveGasPrice) / 1e18) * (Number(NATIVE_PRICE) / PAYMENT))
    }
    for (const [hash, info] of hashes) {
      const receipt = block.receipts.get(hash)
      if (!receipt) continue
      if (receipt.status !== 'success') {
        if (info.tag === 'openDeal' || info.tag === 'selfDeal') m.refused++
        else failed++
      }
    }
    absorb(block.number, t, market.decode(block.receipts.values()), failed)

    timing.mine += Date.now() - mark
    mark = Date.now()
    // Positions after the block, for eligibility, health factors and capital efficiency.
    const watched = providers.filter((p) => joined.has(p.index)).map((p) => p.account.address)
    ;[positions, factors] = await Promise.all([market.readPositions(watched), market.readFactors()])
    trackDropout(elapsed)
    trackPositions(elapsed)
    trackDeals(t, elapsed)
    sample(t, opened.length, demand)
    timing.read += Date.now() - mark
    mark = Date.now()
    if (blockNumber % ctx.checkEvery === 0) await checkBooks(false)
    timing.books += Date.now() - mark
    mark = Date.now()

    // Keepers look at the block; what they send lands in the next one.
    await ctxKeepersStep(block.number, new Set(block.receipts.keys()), elapsed)
    timing.keepers += Date.now() - mark
  }

  const selfDeals: DealRecord[] = []
  const timing = { agents: 0, mine: 0, read: 0, books: 0, keepers: 0 }

  async function ctxKeepersStep(block: bigint, mined: ReadonlySet<Hex>, elapsed: number) {
    const pool = keepersPool
    if (!pool) return
    // Which keeper's transactions reach the sequencer first is drawn from the seed: races are fair, and replay the same.
    const order = keepers.map((_, i) => i)
    for (let i = order.length - 1; i > 0; i--) {
      const j = raceRandom.int(0, i)
      ;[order[i], order[j]] = [order[j]!, order[i]!]
    }
    await pool(block, mined, (k) => liveAt(elapsed, k), order)
  }
  let keepersPool: SimKeeperPool['step'] | undefined

  function absorb(block: bigint, t: number, events: SimEvent[], _failed: number) {
    for (const event of events) {
      switch (event.kind) {
        case 'dealOpened': {
          const provider = byAddress.get(event.terms.provider.toLowerCase())
          if (!provider) break
          let record = [...pendingDeals.entries()].find(([, d]) => d.terms.salt === event.terms.salt)
          const found = record?.[1] ?? findOpened(event.terms)
          if (record) pendingDeals.delete(record[0])
          if (!found) break
          found.dealId = event.dealId
          deals.set(event.dealId, found)
          escrow += event.terms.price
          if (found.units > 0) {
            m.opened++
            busyUnits.set(provider.index, unitsUsed(provider) + found.units)
          }
          break
        }
        case 'resultCommitted': {
          const deal = deals.get(event.dealId)
          if (!deal) break
          deal.status = 'committed'
          deal.committedAt = t
          committedDeals.push(deal)
          release(deal)
          break
        }
        case 'dealSettled': {
          const deal = deals.get(event.dealId)
          escrow -= deal?.terms.price ?? 0n
          if (deal) {
            deal.status = 'settled'
            m.settled++
            deals.delete(event.dealId)
          }
          break
        }
        case 'dealLiquidated': {
          const deal = deals.get(event.dealId)
          escrow -= event.refund
          if (!deal) break
          if (event.refund > 0n) {
            m.defaulted++
            m.compensationOwed += Number(deal.terms.collateral) / PAYMENT
            m.slashed += Number(deal.terms.collateral) / PAYMENT
            release(deal)
            if (deal.provider.kind === 'honest' && deal.willCommit) m.honestSlashed.add(deal.provider.account.address)
            if (deal.terms.client === deal.terms.provider) m.selfDealExits++
            if (deal.eligibleBlock !== undefined) {
              recordDelay(Number(block), { eligibleBlock: deal.eligibleBlock, live: deal.eligibleLive ?? false, at: deal.eligibleAt ?? 0 })
            }
          }
          m.compensationPaid += Number(event.compensation) / PAYMENT
          if (event.refund === 0n && event.compensation === 0n) m.zeroValue++
          const keeper = keeperByAddress.get(event.keeper.toLowerCase())
          if (keeper) {
            const gas = gasCostOf(event.tx)
            const bonus = Number(event.keeperBonus) / PAYMENT
            m.keeperProfit[keeper.profile.name]! += bonus - gas
            if (bonus < gas) m.unprofitable++
          }
          if (event.deferred > 0n) deal.status = 'liquidating'
          else {
            deal.status = 'liquidated'
            deals.delete(event.dealId)
          }
          break
        }
        case 'badDebt':
          badDebtUnits += event.amount
          m.badDebt += Number(event.amount) / PAYMENT
          break
        case 'positionLiquidated': {
          const seizedValue = (Number(event.collateralSeized) / 1e18) * price
          const repaid = Number(event.repaid) / PAYMENT
          m.slashed += seizedValue
          if (event.collateralSeized === 0n) m.zeroValue++
          const keeper = keeperByAddress.get(event.liquidator.toLowerCase())
          if (keeper) {
            const gas = gasCostOf(event.tx)
            m.keeperProfit[keeper.profile.name]! += seizedValue - repaid - gas
            if (seizedValue - repaid < gas) m.unprofitable++
          }
          const episode = positionEpisodes.get(event.provider)
          if (episode) {
            recordDelay(Number(block), episode)
            positionEpisodes.delete(event.provider)
          }
          // Wrongly slashed: an honest provider liquidated although its position was healthy at the true price.
          const provider = byAddress.get(event.provider.toLowerCase())
          const position = positions.get(event.provider)
          if (provider?.kind === 'honest' && position) {
            const trueHf = healthFactorAt(position, previousPrice)
            if (trueHf >= 1) m.honestSlashed.add(event.provider)
          }
          break
        }
        case 'payoutCredited':
          claimants.push({ token: event.token, account: event.account })
          break
        case 'insuranceUsed':
          m.insuranceUsed += Number(event.payment) / PAYMENT + (Number(event.collateral) / 1e18) * price
          break
      }
    }
  }

  const gasCosts = new Map<Hex, number>()
  let chainDigest: Hex = zeroHash
  function gasCostOf(tx: Hex): number {
    return gasCosts.get(tx) ?? 0
  }

  function findOpened(terms: DealTerms): DealRecord | undefined {
    return openedBySalt.get(terms.salt)
  }
  const openedBySalt = new Map<bigint, DealRecord>()

  function release(deal: DealRecord) {
    if (deal.units === 0) return
    busyUnits.set(deal.provider.index, Math.max(0, unitsUsed(deal.provider) - deal.units))
    deal.units = 0
  }

  function healthFactorAt(position: SimPosition, atPrice: number): number {
    const obligations = Number(position.obligations) / PAYMENT
    if (obligations === 0) return Infinity
    const collateral = Number(position.collateral + position.pendingWithdrawal) / 1e18
    return ((collateral * atPrice * factors.liquidationThresholdBps) / 10_000 + Number(position.coverage) / PAYMENT) / obligations
  }

  /**
   * One liquidation's delay. In a dropout scenario it is also filed by when its target became liquidatable:
   * while every keeper was offline ("during") or after they came back ("after").
   */
  function recordDelay(block: number, { eligibleBlock, live, at }: Eligibility) {
    const delay = block - eligibleBlock
    m.delays.push(delay)
    if (live) m.delaysLive.push(delay)
    if (!dropout) return
    const window = scenario.keeperDropout[0]!
    const during = inWindow(scenario.keeperDropout, at)
    if (during) {
      dropout.during.push(delay)
      dropout.lastDuring = Math.max(dropout.lastDuring ?? 0, block)
    } else if (at >= window.to) dropout.after.push(delay)
    dropout.points.push({ hours: (at - window.from) / HOUR, delay, during })
  }

  /** Notes the first block the keepers see once a dropout is over. */
  function trackDropout(elapsed: number) {
    if (dropout && dropout.endBlock === undefined && !inWindow(scenario.keeperDropout, elapsed) && elapsed >= scenario.keeperDropout[0]!.to) dropout.endBlock = blockNumber
  }

  function trackPositions(elapsed: number) {
    let backed = 0
    let locked = 0
    for (const [address, position] of positions) {
      const hf = position.healthFactor
      const unhealthy = hf !== undefined && hf < WAD && position.collateral + position.pendingWithdrawal > 0n
      if (unhealthy && !positionEpisodes.has(address)) positionEpisodes.set(address, { eligibleBlock: blockNumber, live: anyKeeperLive(elapsed), at: elapsed })
      if (!unhealthy) positionEpisodes.delete(address)
      backed += Number(position.obligations) / PAYMENT
      locked += (Number(position.collateral + position.pendingWithdrawal) / 1e18) * feedPrice
    }
    if (locked > 0 && backed > 0) {
      m.efficiencyNum += backed
      m.efficiencyDen += locked
    }
  }

  function trackDeals(t: number, elapsed: number) {
    for (const deal of deals.values()) {
      if (deal.status === 'open' && deal.eligibleBlock === undefined && BigInt(t) >= deal.terms.deadline) {
        deal.eligibleBlock = blockNumber
        deal.eligibleLive = anyKeeperLive(elapsed)
        deal.eligibleAt = elapsed
      }
    }
  }

  function utilization(): number {
    let used = 0
    let capacity = 0
    for (const p of providers) {
      if (!joined.has(p.index) || p.kind === 'sybil') continue
      used += unitsUsed(p)
      capacity += p.capacity
    }
    return capacity ? used / capacity : 0
  }

  function sample(t: number, opened: number, demand: number) {
    const u = utilization()
    const hfs = [...positions.values()]
      .filter((p) => p.obligations > 0n && p.healthFactor !== undefined)
      .map((p) => Math.min(3, Number(p.healthFactor!) / 1e18))
      .sort((a, b) => a - b)
    const q = (p: number) => (hfs.length ? hfs[Math.min(hfs.length - 1, Math.floor(p * hfs.length))]! : 3)
    const multiplier = Number(utilizationMultiplier(BigInt(Math.round(Math.min(1, u) * 1e6)) * 10n ** 12n)) / 1e18
    m.utilSamples.push({ u, multiplier, demand, opened })
    if (ctx.series) samples.push({ t: t - start, block: blockNumber, price, feed: feedPrice, gas: gasMultiplier, utilization: u, multiplier, opened, insuranceFund: m.insuranceFund, hf: [q(0.05), q(0.25), q(0.5)] })
  }

  async function checkBooks(final: boolean) {
    if (!final && ctx.checkEvery <= 0) return
    const books = await market.readBooks({ providers: providers.map((p) => p.account.address), escrow, claimants })
    checks++
    m.insuranceFund = Number(books.insuranceFund) / PAYMENT
    if (books.payment.held !== books.payment.owed) throw new AccountingBrokenError({ token: 'payment', held: books.payment.held, owed: books.payment.owed, block: BigInt(blockNumber) })
    // The market's public insolvency ledger must equal the shortfalls it announced.
    if (books.recordedBadDebt !== badDebtUnits) throw new AccountingBrokenError({ token: 'bad-debt ledger', held: books.recordedBadDebt, owed: badDebtUnits, block: BigInt(blockNumber) })
    if (books.collateral.held !== books.collateral.owed) throw new AccountingBrokenError({ token: 'collateral', held: books.collateral.held, owed: books.collateral.owed, block: BigInt(blockNumber) })
  }

  function result(): Omit<SeedResult, 'ignoredParameters' | 'seconds'> {
    // Compensation still owed at the end (a deal nobody liquidated, or one left waiting for a price) is unpaid.
    for (const deal of deals.values()) {
      if (deal.status === 'liquidating' || (deal.status === 'open' && deal.eligibleBlock !== undefined)) {
        if (deal.status === 'open') m.compensationOwed += Number(deal.terms.collateral) / PAYMENT
      }
    }
    const accepted = m.bids.filter((b) => b.accepted)
    return {
      scenario: scenario.name,
      seed: ctx.random === undefined ? 0 : seedOf,
      blocks: blockNumber,
      simDays: ctx.days,
      dealsOpened: m.opened,
      dealsSettled: m.settled,
      dealsDefaulted: m.defaulted,
      dealsRefused: m.refused,
      slashedValue: m.slashed,
      badDebt: m.badDebt,
      badDebtPctOfSlashed: m.slashed > 0 ? (100 * m.badDebt) / m.slashed : 0,
      providerShortfall: m.badDebt + m.insuranceUsed,
      providerShortfallPctOfSlashed: m.slashed > 0 ? (100 * (m.badDebt + m.insuranceUsed)) / m.slashed : 0,
      honestSlashed: m.honestSlashed.size,
      honestProvidersSlashed: [...m.honestSlashed],
      liquidationDelays: m.delays,
      liquidationDelaysLive: m.delaysLive,
      ...(dropout
        ? {
            dropout: {
              window: scenario.keeperDropout[0]!,
              endBlock: dropout.endBlock ?? blockNumber,
              delaysDuring: dropout.during,
              delaysAfter: dropout.after,
              recoveryBlocks: dropout.lastDuring === undefined || dropout.endBlock === undefined ? 0 : dropout.lastDuring - dropout.endBlock,
              points: dropout.points,
            },
          }
        : {}),
      zeroValueLiquidations: m.zeroValue,
      unprofitableLiquidations: m.unprofitable,
      lostRaces: keepers.reduce((sum, k) => sum + k.lostRaces, 0),
      compensationOwed: m.compensationOwed,
      compensationPaid: m.compensationPaid,
      compensationPaidPct: m.compensationOwed > 0 ? (100 * m.compensationPaid) / m.compensationOwed : 100,
      insuranceFundEnd: m.insuranceFund,
      keeperProfit: m.keeperProfit,
      keeperActivity: Object.fromEntries(keepers.map((k) => [k.profile.name, { liquidations: k.liquidations.length, skipped: k.skipped.length, errors: k.errors.length }])),
      selfDealExits: m.selfDealExits,
      utilizationMean: m.utilSamples.length ? m.utilSamples.reduce((sum, x) => sum + x.u, 0) / m.utilSamples.length : 0,
      utilizationAboveKinkShare: accepted.length ? accepted.filter((b) => b.multiplier > KINK_MULTIPLIER).length / accepted.length : 0,
      elasticityAboveKink: elasticity(m.bids.filter((b) => b.multiplier > KINK_MULTIPLIER)),
      capitalEfficiency: m.efficiencyDen > 0 ? m.efficiencyNum / m.efficiencyDen : 0,
      accountingChecks: checks,
      chainDigest,
      ...(ctx.series ? { series: samples } : {}),
    }
  }
  let seedOf = 0

  return {
    step,
    absorb: (block: bigint, t: number, events: SimEvent[], failed: number) => absorb(block, t, events, failed),
    checkBooks,
    result,
    dealsOpened: () => m.opened,
    timing,
    setKeepers: (pool: typeof keepersPool) => (keepersPool = pool),
    setSeed: (seed: number) => (seedOf = seed),
    registerOpened: (record: DealRecord) => openedBySalt.set(record.terms.salt, record),
    gasCosts,
    shift: ctx.shift,
  }
}

/** The default curve's multiplier at the kink: 1 + 0.5 × 0.8. */
const KINK_MULTIPLIER = 1.4

/**
 * Realized price elasticity above the kink: bids are grouped by the multiplier of the best quote they got
 * (bins of 0.2), and the slope of log(share accepted) on log(multiplier) is fitted over the bins.
 */
function elasticity(bids: { multiplier: number; accepted: boolean }[]): number | undefined {
  const bins = new Map<number, { n: number; accepted: number }>()
  for (const bid of bids) {
    const key = Math.floor(bid.multiplier / 0.2)
    const bin = bins.get(key) ?? { n: 0, accepted: 0 }
    bin.n++
    if (bid.accepted) bin.accepted++
    bins.set(key, bin)
  }
  const points = [...bins].filter(([, b]) => b.n >= 5 && b.accepted > 0).map(([key, b]) => [Math.log((key + 0.5) * 0.2), Math.log(b.accepted / b.n)] as const)
  if (points.length < 2) return undefined
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0)
  if (sxx === 0) return undefined
  return points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0) / sxx
}

export { STRESS_AT }
