import type { Address, Hex } from 'viem'

/**
 * The deal a provider signs and a client opens on chain; field for field the
 * contract's `DealTerms` struct, so `uint64` fields are bigints here.
 */
export type DealTerms = {
  client: Address
  provider: Address
  /** Payment, token smallest units. */
  price: bigint
  /** Provider collateral promised, in payment-token smallest units. */
  collateral: bigint
  jobHash: Hex
  /** Result must be committed before this, unix seconds. */
  deadline: bigint
  /** Terms can be opened until this, unix seconds. */
  expiry: bigint
  /** Makes otherwise equal terms distinct deals. */
  salt: bigint
}
