import { z } from 'zod'
import type { DealTerms } from '../types/dealTerms.ts'
import { address, bytes32, uint128String, uintString } from './primitives.ts'

/** Deal terms, with the contract's integer widths. */
export const dealTermsSchema = z.strictObject({
  client: address,
  provider: address,
  price: uint128String,
  collateral: uint128String,
  jobHash: bytes32,
  deadline: uintString(64),
  expiry: uintString(64),
  salt: uintString(256),
}) satisfies z.ZodType<DealTerms>
