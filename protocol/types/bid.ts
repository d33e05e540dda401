import type { Address, Hex } from 'viem'
import type { Requirements } from './resources.ts'

/** A client's signed request for compute. */
export type Bid = {
  client: Address
  requirements: Requirements
  /** Run time bought, seconds. */
  duration: number
  /** Most the client pays, in the payment token's smallest unit. */
  maxPrice: bigint
  /** Content hash of the job bundle. */
  jobHash: Hex
  /** Unix seconds; valid while `now < expiry`. */
  expiry: number
  /** Chosen by the client to tell apart otherwise equal bids. */
  nonce: number
}

/** A bid with its EIP-712 signature and the market it was signed for. */
export type SignedBid = {
  chainId: number
  market: Address
  bid: Bid
  signature: Hex
}
