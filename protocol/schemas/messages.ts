import { z } from 'zod'
import { DeclineReason, FetchErrorReason, type MessageBodies } from '../types/messages.ts'
import { signedAskCancelSchema, signedAskSchema } from './ask.ts'
import { signedBidSchema } from './bid.ts'
import { dealTermsSchema } from './dealTerms.ts'
import {
  address,
  bytes32,
  chainId,
  chunkData,
  detail,
  signature,
  uint128String,
  uint48,
} from './primitives.ts'

/** Most orders one sync page may ask for. */
export const MAX_SYNC_LIMIT = 64

const cursor = z.string().min(1).max(128).regex(/^[\x21-\x7e]+$/, 'expected printable ASCII')

const transferHeaderSchema = z.strictObject({ offset: uint48, total: uint48 }).check((ctx) => {
  if (ctx.value.offset > ctx.value.total)
    ctx.issues.push({ code: 'custom', message: 'offset exceeds total', path: ['offset'], input: ctx.value })
})

/** The schema of every message body, by type. */
export const messageSchemas = {
  ask: signedAskSchema,
  bid: signedBidSchema,
  'ask-cancel': signedAskCancelSchema,
  'sync-request': z.strictObject({
    chainId,
    market: address,
    book: z.enum(['asks', 'bids']),
    cursor: cursor.optional(),
    limit: z.number().int().min(1).max(MAX_SYNC_LIMIT),
  }),
  'sync-response': z.strictObject({
    asks: z.array(signedAskSchema),
    bids: z.array(signedBidSchema),
    cancels: z.array(signedAskCancelSchema),
    next: cursor.optional(),
  }),
  'deal-proposal': z.strictObject({
    bid: signedBidSchema,
    askHash: bytes32,
    price: uint128String,
    collateral: uint128String,
  }),
  'deal-accept': z.strictObject({ terms: dealTermsSchema, providerSignature: signature }),
  'deal-decline': z.strictObject({
    reason: z.enum(Object.values(DeclineReason) as [DeclineReason, ...DeclineReason[]]),
    detail: detail.optional(),
  }),
  'job-request': z.strictObject({ jobHash: bytes32, offset: uint48 }),
  'job-header': transferHeaderSchema,
  'result-request': z.strictObject({ dealId: bytes32, offset: uint48 }),
  'result-header': transferHeaderSchema,
  'logs-request': z.strictObject({ dealId: bytes32, from: uint48 }),
  'log-entry': z.strictObject({ seq: uint48, stream: z.enum(['stdout', 'stderr']), data: chunkData }),
  'fetch-error': z.strictObject({
    reason: z.enum(Object.values(FetchErrorReason) as [FetchErrorReason, ...FetchErrorReason[]]),
    detail: detail.optional(),
  }),
} satisfies { [type in keyof MessageBodies]: z.ZodType<MessageBodies[type]> }
