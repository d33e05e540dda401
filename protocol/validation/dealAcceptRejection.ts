/** Why a client refuses a provider's signed terms (and moves to the next ask). */
export const DealAcceptRejection = {
  ClientMismatch: 'client-mismatch',
  ProviderMismatch: 'provider-mismatch',
  JobHashMismatch: 'job-hash-mismatch',
  /** `terms.price > proposal.price`. */
  PriceAboveProposal: 'price-above-proposal',
  /** `terms.collateral < proposal.collateral`. */
  CollateralBelowProposal: 'collateral-below-proposal',
  /** `now ≥ terms.expiry`: the terms can no longer be opened. */
  Expired: 'expired',
  /** Terms that stay open longer than allowed hold the client's attention (and the provider's capacity) hostage. */
  ExpiryTooFar: 'expiry-too-far',
  /** `terms.deadline < terms.expiry + bid.duration`: the job might not fit. */
  DeadlineTooEarly: 'deadline-too-early',
  /** The deadline trails the job by more than the allowed slack, delaying any liquidation. */
  DeadlineTooLate: 'deadline-too-late',
  /** The signature does not recover to `terms.provider`. */
  BadSignature: 'bad-signature',
} as const

/** A {@link DealAcceptRejection} value. */
export type DealAcceptRejection = (typeof DealAcceptRejection)[keyof typeof DealAcceptRejection]

/** The outcome of a client's check of signed terms. */
export type DealAcceptValidation = { valid: true } | { valid: false; reason: DealAcceptRejection; cause?: unknown }
