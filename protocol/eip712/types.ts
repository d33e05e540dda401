// Each primary type has its own definition so a wallet shows only the structs
// it signs. Field order is part of the signature: never reorder.

const Gpu = [
  { name: 'model', type: 'string' },
  { name: 'vramMiB', type: 'uint32' },
  { name: 'count', type: 'uint32' },
] as const

const Resources = [
  { name: 'cpuMillicores', type: 'uint32' },
  { name: 'memoryMiB', type: 'uint32' },
  { name: 'diskMiB', type: 'uint32' },
  { name: 'gpus', type: 'Gpu[]' },
] as const

/** EIP-712 types of an {@link Ask}, primary type `Ask`. */
export const askTypes = {
  Ask: [
    { name: 'provider', type: 'address' },
    { name: 'peerId', type: 'string' },
    { name: 'capacity', type: 'Resources' },
    { name: 'free', type: 'Resources' },
    { name: 'runtimes', type: 'string[]' },
    { name: 'prices', type: 'Prices' },
    { name: 'minDuration', type: 'uint32' },
    { name: 'maxDuration', type: 'uint32' },
    { name: 'collateralBps', type: 'uint32' },
    { name: 'createdAt', type: 'uint48' },
    { name: 'expiry', type: 'uint48' },
    { name: 'sequence', type: 'uint48' },
    { name: 'cancelNonce', type: 'uint48' },
  ],
  Resources,
  Gpu,
  Prices: [
    { name: 'cpu', type: 'uint128' },
    { name: 'memory', type: 'uint128' },
    { name: 'gpus', type: 'GpuPrice[]' },
  ],
  GpuPrice: [
    { name: 'model', type: 'string' },
    { name: 'price', type: 'uint128' },
  ],
} as const

/** EIP-712 types of a {@link Bid}, primary type `Bid`. */
export const bidTypes = {
  Bid: [
    { name: 'client', type: 'address' },
    { name: 'requirements', type: 'Requirements' },
    { name: 'duration', type: 'uint32' },
    { name: 'maxPrice', type: 'uint128' },
    { name: 'jobHash', type: 'bytes32' },
    { name: 'expiry', type: 'uint48' },
    { name: 'nonce', type: 'uint48' },
  ],
  Requirements: [
    { name: 'cpuMillicores', type: 'uint32' },
    { name: 'memoryMiB', type: 'uint32' },
    { name: 'diskMiB', type: 'uint32' },
    { name: 'gpus', type: 'Gpu[]' },
    { name: 'runtime', type: 'string' },
  ],
  Gpu,
} as const

/** EIP-712 types of an {@link AskCancel}, primary type `AskCancel`. */
export const askCancelTypes = {
  AskCancel: [
    { name: 'provider', type: 'address' },
    { name: 'cancelNonce', type: 'uint48' },
  ],
} as const

/**
 * EIP-712 types of {@link DealTerms}, primary type `DealTerms`; identical to the
 * market contract's `DealTerms(address client,address provider,uint128 price,uint128 collateral,bytes32 jobHash,uint64 deadline,uint64 expiry,uint256 salt)`.
 */
export const dealTermsTypes = {
  DealTerms: [
    { name: 'client', type: 'address' },
    { name: 'provider', type: 'address' },
    { name: 'price', type: 'uint128' },
    { name: 'collateral', type: 'uint128' },
    { name: 'jobHash', type: 'bytes32' },
    { name: 'deadline', type: 'uint64' },
    { name: 'expiry', type: 'uint64' },
    { name: 'salt', type: 'uint256' },
  ],
} as const
