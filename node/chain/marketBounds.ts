import type { Address } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import type { ChainClients } from './clients.ts'
import type { MarketParameters } from './createMarket.ts'

/** The hard bounds every market's constructor enforces, as the contract's public constants. */
const boundConstants = [
  'MIN_COLLATERAL_FACTOR_BPS',
  'MAX_COLLATERAL_FACTOR_BPS',
  'MAX_LIQUIDATION_THRESHOLD_BPS',
  'MAX_LIQUIDATION_BONUS_BPS',
  'MAX_KEEPER_BONUS_BPS',
  'MAX_INSURANCE_BPS',
  'MAX_PROTOCOL_FEE_BPS',
  'MAX_DISPUTE_BOND_BPS',
  'MIN_CHALLENGE_WINDOW',
  'MAX_CHALLENGE_WINDOW',
  'MIN_UNBONDING_PERIOD',
  'MAX_UNBONDING_PERIOD',
  'MIN_MAX_PRICE_AGE',
  'MAX_MAX_PRICE_AGE',
  'MIN_ARBITRATION_WINDOW',
  'MAX_ARBITRATION_WINDOW',
  'MIN_DEAL_DURATION',
  'MAX_DEAL_DURATION',
  'MIN_MAX_VOLATILITY_BPS',
] as const

export type MarketBounds = Record<(typeof boundConstants)[number], number>

/**
 * Reads the bounds from a market the factory created. Every market runs the same code
 * (the factory checks its hash), so any one of them states the bounds of all, and
 * reading them keeps the contract their only definition.
 */
export async function readMarketBounds(clients: ChainClients, { market }: { market: Address }): Promise<MarketBounds> {
  const values = await Promise.all(boundConstants.map((functionName) => clients.public.readContract({ address: market, abi: allotMarketAbi, functionName })))
  return Object.fromEntries(boundConstants.map((name, index) => [name, Number(values[index])])) as MarketBounds
}

/** One parameter outside what the constructor accepts; `rule` names the other parameters its bound depends on. */
export type ParameterProblem = { field: keyof MarketParameters; value: number; min: number; max: number; rule?: string }

const BPS = 10_000

/**
 * Every parameter the market's constructor (`_validate`) would refuse, with the range it
 * would accept given the other parameters; empty when the market can be created.
 * The constructor stops at the first; this lists them all, so one attempt fixes them all.
 */
export function checkMarketParameters(p: MarketParameters, b: MarketBounds): ParameterProblem[] {
  const problems: ParameterProblem[] = []
  const check = (field: keyof MarketParameters, min: number, max: number, rule?: string) => {
    const value = p[field]
    if (!Number.isInteger(value) || value < min || value > max) problems.push({ field, value, min, max, ...(rule ? { rule } : {}) })
  }
  // Clients first: a position backed at CF pays every client and both bonuses at the opening price.
  const seniorCap = Math.floor((BPS * BPS) / (BPS + p.keeperBonusBps + p.insuranceBps))
  const cfMax = Math.min(b.MAX_COLLATERAL_FACTOR_BPS, seniorCap)
  check('collateralFactorBps', b.MIN_COLLATERAL_FACTOR_BPS, cfMax, cfMax < b.MAX_COLLATERAL_FACTOR_BPS ? 'clients are paid first: CF × (1 + keeper bonus + insurance share) ≤ 100%' : undefined)
  check('liquidationThresholdBps', p.collateralFactorBps + 1, b.MAX_LIQUIDATION_THRESHOLD_BPS, 'above the collateral factor')
  // LT × (1 + bonus) < 1, so that a position liquidation raises the health factor.
  const bonusCap = Math.floor((BPS * BPS - 1) / p.liquidationThresholdBps) - BPS
  check('liquidationBonusBps', 0, Math.min(b.MAX_LIQUIDATION_BONUS_BPS, bonusCap), bonusCap < b.MAX_LIQUIDATION_BONUS_BPS ? 'liquidation threshold × (1 + bonus) < 100%' : undefined)
  check('keeperBonusBps', 0, b.MAX_KEEPER_BONUS_BPS)
  check('insuranceBps', 0, b.MAX_INSURANCE_BPS)
  check('protocolFeeBps', 0, b.MAX_PROTOCOL_FEE_BPS)
  check('disputeBondBps', 0, b.MAX_DISPUTE_BOND_BPS)
  check('challengeWindow', b.MIN_CHALLENGE_WINDOW, b.MAX_CHALLENGE_WINDOW)
  check('unbondingPeriod', b.MIN_UNBONDING_PERIOD, b.MAX_UNBONDING_PERIOD)
  check('maxPriceAge', b.MIN_MAX_PRICE_AGE, b.MAX_MAX_PRICE_AGE)
  check('arbitrationWindow', b.MIN_ARBITRATION_WINDOW, b.MAX_ARBITRATION_WINDOW)
  check('minDealDuration', b.MIN_DEAL_DURATION, b.MAX_DEAL_DURATION)
  check('volatilityWeightBps', 0, BPS)
  check('maxVolatilityBps', b.MIN_MAX_VOLATILITY_BPS, BPS)
  check('minCollateralFactorBps', b.MIN_COLLATERAL_FACTOR_BPS, p.collateralFactorBps, 'at most the collateral factor')
  return problems
}
