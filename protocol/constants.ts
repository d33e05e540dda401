/** Version segment of every gossip topic (`/allot/<PROTOCOL_VERSION>/…`). */
export const PROTOCOL_VERSION = 1

/** First byte of every encoded message. */
export const WIRE_VERSION = 1

/** Largest encoded message (envelope included), in bytes, on any topic or stream. */
export const MAX_MESSAGE_BYTES = 8192

/** Largest `data` of one job or result chunk, in bytes (base64 keeps it under {@link MAX_MESSAGE_BYTES}). */
export const MAX_CHUNK_BYTES = 4096

/**
 * Unit prices are quoted in the payment token's smallest unit times this
 * factor, so that a CPU-second can cost a fraction of one smallest unit.
 */
export const PRICE_SCALE = 1_000_000n

/** Fixed-point one (1e18) for utilizations and curve parameters. */
export const WAD = 10n ** 18n

/** Basis points in one (collateral ratios). */
export const BPS = 10_000n

/** EIP-712 domain name. */
export const DOMAIN_NAME = 'allot'

/** EIP-712 domain version. */
export const DOMAIN_VERSION = '1'

/** How far in the future an order's expiry may lie (seconds), unless a market agrees otherwise. */
export const DEFAULT_MAX_ORDER_HORIZON_SEC = 3600

/** Clock difference tolerated between peers (seconds). */
export const DEFAULT_MAX_CLOCK_SKEW_SEC = 30

/** Longest a provider's signed deal terms may stay open (seconds), as checked by clients. */
export const DEFAULT_MAX_TERMS_LIFETIME_SEC = 300

/** Longest a deal's deadline may trail `expiry + duration` (seconds), as checked by clients. */
export const DEFAULT_MAX_DEADLINE_SLACK_SEC = 3600

/** Largest `uint32`. */
export const MAX_UINT32 = 2 ** 32 - 1

/** Largest `uint48`; every `uint48` is a safe JavaScript integer. */
export const MAX_UINT48 = 2 ** 48 - 1

/** Largest `uint128` (prices and collateral amounts on chain). */
export const MAX_UINT128 = 2n ** 128n - 1n
