import type { Address, Hex } from 'viem'
import type { Resources, Runtime } from './resources.ts'

/** Price of one GPU-second of one model. */
export type GpuPrice = {
  model: string
  /** Token smallest units × `PRICE_SCALE` per GPU-second. */
  price: bigint
}

/** Unit prices, all in the payment token's smallest unit × `PRICE_SCALE` (1e6). */
export type UnitPrices = {
  /** Per core-second (1000 millicores for one second). */
  cpu: bigint
  /** Per GiB-second (1024 MiB for one second). */
  memory: bigint
  /** Per GPU-second, one entry per GPU model the ask advertises. */
  gpus: GpuPrice[]
}

/** A provider's signed offer of capacity. */
export type Ask = {
  provider: Address
  /** libp2p peer id of the provider's node (where to open deal streams). */
  peerId: string
  /** Everything the provider advertises; the base of its utilization. */
  capacity: Resources
  /** The part of `capacity` not reserved by deals or pending terms. */
  free: Resources
  /** Runtimes accepted, no duplicates. */
  runtimes: Runtime[]
  prices: UnitPrices
  /** Shortest job accepted, seconds. */
  minDuration: number
  /** Longest job accepted, seconds. */
  maxDuration: number
  /** Collateral offered per deal, basis points of the deal's price. */
  collateralBps: number
  /** When the provider made this ask, unix seconds. */
  createdAt: number
  /** When it stops being valid, unix seconds (valid while `now < expiry`). */
  expiry: number
  /** Grows with every new ask of the provider; a higher one replaces a lower one. */
  sequence: number
  /** The provider's cancel nonce when it signed; a cancel with a higher nonce voids it. */
  cancelNonce: number
}

/** An ask with its EIP-712 signature and the market it was signed for. */
export type SignedAsk = {
  chainId: number
  market: Address
  ask: Ask
  signature: Hex
}

/** A provider voids all its asks signed with a lower cancel nonce. */
export type AskCancel = {
  provider: Address
  cancelNonce: number
}

/** A signed {@link AskCancel}. */
export type SignedAskCancel = {
  chainId: number
  market: Address
  cancel: AskCancel
  signature: Hex
}

/** An ask as the book holds it, with its EIP-712 hash. */
export type AskEntry = {
  ask: Ask
  /** `hashAsk(ask, market)`. */
  hash: Hex
}
