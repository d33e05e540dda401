import type { Address, Hex } from 'viem'

/**
 * What happened to one of the provider's deals, in the order a deal lives:
 * terms signed for a client (`negotiated`), opened on chain, its job running,
 * its result committed, then settled, disputed or liquidated; `failed` when the
 * provider itself gave up on it (its deadline passed). `declined` is a proposal
 * answered with a refusal: no deal came of it.
 */
export type ProviderDealEvent =
  | { kind: 'negotiated'; dealId: Hex; client: Address; price: bigint; collateral: bigint; deadline: bigint }
  | { kind: 'declined'; reason: string; detail?: string }
  | { kind: 'opened'; dealId: Hex; client: Address; price: bigint }
  | { kind: 'running'; dealId: Hex; runtime: string; attempt: number }
  | { kind: 'committed'; dealId: Hex; resultHash: Hex; exitCode: number | undefined; hash: Hex }
  | { kind: 'settled'; dealId: Hex; payout: bigint }
  | { kind: 'disputed'; dealId: Hex; bond: bigint }
  | { kind: 'liquidated'; dealId: Hex; refund: bigint; compensation: bigint; keeper: Address }
  | { kind: 'failed'; dealId: Hex; reason: string }

/** The provider's events; `event.detail` carries the typed value. */
export type ProviderEvents = { deal: ProviderDealEvent }
