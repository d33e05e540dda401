import { readFile } from 'node:fs/promises'
import { getAddress, isAddress, zeroAddress, type Address } from 'viem'
import { createMarket, defaultMarketParameters, findMarket, readMarketConfig, type MarketConfig, type MarketParameters } from '../../node/chain/createMarket.ts'
import { MarketExistsError, MarketFactoryMissingError, MarketParametersOutOfBoundsError } from '../../node/chain/errors.ts'
import { checkMarketParameters, readMarketBounds } from '../../node/chain/marketBounds.ts'
import type { CommandSpec, OptionSpec } from '../command.ts'
import { connect } from '../connect.ts'
import { MarketParamsFileError, UsageError } from '../errors.ts'

type Unit = 'percent' | 'duration'

/** One flag per parameter, in the units people think in; the --params file keeps the contract's (bps, seconds). */
const parameterFlags: { flag: string; field: keyof MarketParameters; unit: Unit; what: string }[] = [
  { flag: 'collateral-factor', field: 'collateralFactorBps', unit: 'percent', what: 'share of the collateral’s value that backs new deals' },
  { flag: 'liquidation-threshold', field: 'liquidationThresholdBps', unit: 'percent', what: 'share of the collateral’s value that counts toward health' },
  { flag: 'liquidation-bonus', field: 'liquidationBonusBps', unit: 'percent', what: 'discount a position liquidator receives on seized collateral' },
  { flag: 'keeper-bonus', field: 'keeperBonusBps', unit: 'percent', what: 'share of a liquidated deal’s collateral paid to the keeper' },
  { flag: 'insurance-share', field: 'insuranceBps', unit: 'percent', what: 'share of a liquidated deal’s collateral paid to the insurance fund' },
  { flag: 'protocol-fee', field: 'protocolFeeBps', unit: 'percent', what: 'fee on each settled price' },
  { flag: 'dispute-bond', field: 'disputeBondBps', unit: 'percent', what: 'bond a disputing client posts, as a share of the price' },
  { flag: 'challenge-window', field: 'challengeWindow', unit: 'duration', what: 'time a client has to dispute a committed result' },
  { flag: 'unbonding-period', field: 'unbondingPeriod', unit: 'duration', what: 'wait before withdrawn collateral leaves' },
  { flag: 'max-price-age', field: 'maxPriceAge', unit: 'duration', what: 'oldest collateral price the market accepts' },
  { flag: 'arbitration-window', field: 'arbitrationWindow', unit: 'duration', what: 'time the arbiter has to decide a dispute' },
  { flag: 'min-deal-duration', field: 'minDealDuration', unit: 'duration', what: 'shortest deal' },
  { flag: 'volatility-weight', field: 'volatilityWeightBps', unit: 'percent', what: 'weight of each new price round in the volatility estimate' },
  { flag: 'max-volatility', field: 'maxVolatilityBps', unit: 'percent', what: 'per-round volatility at which the collateral factor reaches its floor' },
  { flag: 'min-collateral-factor', field: 'minCollateralFactorBps', unit: 'percent', what: 'floor of the collateral factor at full volatility' },
]

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_m, letter: string) => letter.toUpperCase())

/** `80`, `80%` or `2.5` percent → basis points; finer than 0.01 % cannot be stated. */
function parsePercent(flag: string) {
  return (value: string): number => {
    const match = /^(\d+(?:\.\d{1,2})?)%?$/.exec(value)
    if (!match) throw new UsageError(`--${flag} takes a percentage with at most two decimals, such as 75 or 2.5%, not "${value}".`)
    return Math.round(Number(match[1]) * 100)
  }
}

const durationUnits: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400 }

/** `3600`, `90s`, `30m`, `1h` or `7d` → seconds. */
function parseDuration(flag: string) {
  return (value: string): number => {
    const match = /^(\d+)([smhd]?)$/.exec(value)
    if (!match) throw new UsageError(`--${flag} takes a duration such as 3600, 90s, 30m, 1h or 7d, not "${value}".`)
    return Number(match[1]) * durationUnits[match[2] || 's']!
  }
}

function formatDuration(seconds: number): string {
  const unit = Object.entries(durationUnits).reverse().find(([, size]) => seconds > 0 && seconds % size === 0)!
  return `${seconds / unit[1]}${unit[0]}`
}

function parseAddressOption(flag: string) {
  return (value: string): Address => {
    if (value === 'none' && flag === 'price-feed') return zeroAddress
    if (!isAddress(value, { strict: false })) throw new UsageError(`--${flag} takes a 0x-prefixed 20-byte address, not "${value}".`)
    return getAddress(value)
  }
}

const configFlags = [
  { flag: 'payment-token', key: 'paymentToken', what: 'ERC-20 token clients pay in (default: the default market’s)' },
  { flag: 'collateral-token', key: 'collateralToken', what: 'ERC-20 token providers stake (default: the default market’s)' },
  { flag: 'price-feed', key: 'priceFeed', what: 'Chainlink-style feed pricing the collateral in payment tokens; none when both tokens are the same (default: the default market’s)' },
  { flag: 'arbiter', key: 'arbiter', what: 'who decides disputes (default: the default market’s arbiter)' },
  { flag: 'fee-recipient', key: 'feeRecipient', what: 'who receives protocol fees (default: the default market’s)' },
] as const

/** Reads a parameters file shaped like contracts/params/defaultMarket.json; fields it leaves out keep their defaults. */
async function readParamsFile(path: string): Promise<Partial<MarketParameters>> {
  let parsed: unknown
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'))
  } catch (cause) {
    throw new MarketParamsFileError({ path, reason: (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 'there is no such file' : `it is not JSON (${(cause as Error).message})` })
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new MarketParamsFileError({ path, reason: 'it is not a JSON object' })
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in defaultMarketParameters)) throw new MarketParamsFileError({ path, reason: `it has a field "${key}" that no market parameter is called` })
    if (!Number.isSafeInteger(value) || (value as number) < 0) throw new MarketParamsFileError({ path, reason: `"${key}" must be a non-negative integer (basis points or seconds), not ${JSON.stringify(value)}` })
  }
  return parsed as Partial<MarketParameters>
}

/** Without --price-feed: none when collateral is the payment token, the default market's feed for its own tokens, else none (refused). */
function priceFeedFor(config: MarketConfig, base: MarketConfig): Address {
  if (config.collateralToken === config.paymentToken) return zeroAddress
  return config.collateralToken === base.collateralToken && config.paymentToken === base.paymentToken ? base.priceFeed : zeroAddress
}

export const marketCreate: CommandSpec = {
  path: ['market', 'create'],
  summary: 'create a market through the factory (anyone may) with rules fixed forever, inside the bounds every market is held to; an identical one is refused',
  options: [
    { flags: '--params <file>', description: 'parameters as JSON, shaped like contracts/params/defaultMarket.json (bps and seconds); flags override it, fields left out keep the defaults' },
    ...parameterFlags.map(
      ({ flag, field, unit, what }): OptionSpec => ({
        flags: `--${flag} <${unit === 'percent' ? 'percent' : 'duration'}>`,
        description: `${what} (default ${unit === 'percent' ? `${defaultMarketParameters[field] / 100}%` : formatDuration(defaultMarketParameters[field])})`,
        parse: unit === 'percent' ? parsePercent(flag) : parseDuration(flag),
      }),
    ),
    ...configFlags.map(({ flag, what }): OptionSpec => ({ flags: `--${flag} <address>`, description: what, parse: parseAddressOption(flag) })),
  ],
  examples: [
    'allot market create --collateral-factor 70 --min-collateral-factor 50   # percentages: 70, 70% or 2.5',
    'allot market create --unbonding-period 14d --challenge-window 30m      # durations: 3600, 90s, 30m, 1h, 7d',
    'allot market create --params ./cautious.json --unbonding-period 14d --json',
    'allot market create --collateral-token 0x… --price-feed 0x…',
  ],
  async run(_args, options, { settings, resolved, output, signal }) {
    const fromFile = options.params === undefined ? {} : await readParamsFile(options.params as string)
    const fromFlags = Object.fromEntries(parameterFlags.filter(({ flag }) => options[camel(flag)] !== undefined).map(({ flag, field }) => [field, options[camel(flag)] as number]))
    const params: MarketParameters = { ...defaultMarketParameters, ...fromFile, ...fromFlags }

    const { clients, deployment, defaultMarket } = await connect(settings, resolved)
    if (!deployment.factory) throw new MarketFactoryMissingError({ path: settings.deployment! })
    const base = await readMarketConfig(clients, { market: defaultMarket })
    const chosen = Object.fromEntries(configFlags.filter(({ key }) => options[key] !== undefined).map(({ key }) => [key, options[key] as Address]))
    const config: MarketConfig = { ...base, ...chosen, params }
    config.priceFeed = chosen.priceFeed ?? priceFeedFor(config, base)
    if (config.collateralToken !== config.paymentToken && config.priceFeed === zeroAddress)
      throw new UsageError('A market whose collateral is not its payment token needs a price feed.', { hint: 'Name one with --price-feed 0x… (the collateral priced in payment tokens).' })

    // An address typed wrong is the likeliest mistake: name the flag rather than the constructor's NotAContract.
    for (const { flag, key } of configFlags.filter(({ key }) => key === 'paymentToken' || key === 'collateralToken' || key === 'priceFeed')) {
      const address = chosen[key]
      if (address === undefined || address === zeroAddress) continue
      const code = await clients.public.getCode({ address })
      if (!code || code === '0x') throw new UsageError(`--${flag} ${address} has no contract code on this chain.`, { hint: `Check the address; \`allot market list\` shows the tokens of existing markets.` })
    }

    const problems = checkMarketParameters(params, await readMarketBounds(clients, { market: defaultMarket }))
    const flagOf = (field: keyof MarketParameters) => `--${parameterFlags.find((entry) => entry.field === field)!.flag}`
    if (problems.length > 0) throw new MarketParametersOutOfBoundsError({ problems: problems.map((problem) => ({ ...problem, flag: flagOf(problem.field) })) })
    const existing = await findMarket(clients, { factory: deployment.factory, config })
    if (existing) throw new MarketExistsError({ market: existing })

    const created = await createMarket(clients, { factory: deployment.factory, config, signal })
    const { params: parameters, ...addresses } = config
    const result = { market: created.market, factory: deployment.factory, tx: created.hash, gasUsed: created.gasUsed, ...addresses, priceFeed: config.priceFeed === zeroAddress ? null : config.priceFeed, parameters }
    output.result(result, (r) =>
      [
        `created market ${r.market} (tx ${r.tx})`,
        `payment token    ${r.paymentToken}`,
        `collateral token ${r.collateralToken}${r.priceFeed ? `, priced by ${r.priceFeed}` : ' (same as payment)'}`,
        `arbiter          ${r.arbiter}`,
        `fee recipient    ${r.feeRecipient}`,
        ...parameterFlags.map(({ flag, field, unit }) => `${flag.padEnd(22)} ${unit === 'percent' ? `${r.parameters[field] / 100}%` : formatDuration(r.parameters[field])}`),
        '',
        `Its rules can never change. Use it with --market ${r.market} (or ALLOT_MARKET); \`allot market list\` shows it.`,
      ].join('\n'),
    )
  },
}
