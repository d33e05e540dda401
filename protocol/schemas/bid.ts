import { z } from 'zod'
import type { Bid, SignedBid } from '../types/bid.ts'
import { address, bytes32, chainId, signature, uint128String, uint32, uint48 } from './primitives.ts'
import { requirementsSchema } from './resources.ts'

/** A bid. */
export const bidSchema = z.strictObject({
  client: address,
  requirements: requirementsSchema,
  duration: uint32.min(1),
  maxPrice: uint128String,
  jobHash: bytes32,
  expiry: uint48,
  nonce: uint48,
}) satisfies z.ZodType<Bid>

/** A signed bid (gossip message `bid`). */
export const signedBidSchema = z.strictObject({
  chainId,
  market: address,
  bid: bidSchema,
  signature,
}) satisfies z.ZodType<SignedBid>
