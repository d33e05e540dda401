import { BaseError } from './base.ts'

export type InvalidPricingCurveErrorType = InvalidPricingCurveError & { name: 'InvalidPricingCurveError' }

/** Curve parameters out of range: the kink must lie in [0, 1] and slopes must not be negative. */
export class InvalidPricingCurveError extends BaseError {
  override name = 'InvalidPricingCurveError' as const
  constructor(reason: string) {
    super(`Invalid pricing curve: ${reason}.`)
  }
}

export type InvalidUtilizationErrorType = InvalidUtilizationError & { name: 'InvalidUtilizationError' }

/** A utilization outside [0, 1e18]. */
export class InvalidUtilizationError extends BaseError {
  override name = 'InvalidUtilizationError' as const
  readonly utilization: bigint
  constructor({ utilization }: { utilization: bigint }) {
    super(`Utilization ${utilization} is outside [0, 1e18].`)
    this.utilization = utilization
  }
}

export type GpuUnavailableErrorType = GpuUnavailableError & { name: 'GpuUnavailableError' }

/** The ask's free GPUs cannot satisfy the bid's GPU requirements, so it has no price for the bid. */
export class GpuUnavailableError extends BaseError {
  override name = 'GpuUnavailableError' as const
  constructor() {
    super('The ask has no free GPUs that satisfy the bid, so it cannot be quoted.')
  }
}

export type PriceOverflowErrorType = PriceOverflowError & { name: 'PriceOverflowError' }

/** A price or collateral amount does not fit the contract's `uint128`. */
export class PriceOverflowError extends BaseError {
  override name = 'PriceOverflowError' as const
  readonly value: bigint
  constructor({ value }: { value: bigint }) {
    super(`Amount ${value} does not fit in uint128.`)
    this.value = value
  }
}
