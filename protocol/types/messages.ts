import type { Address, Hex } from 'viem'
import type { SignedAsk, SignedAskCancel } from './ask.ts'
import type { SignedBid } from './bid.ts'
import type { DealTerms } from './dealTerms.ts'

/** Asks for one page of a peer's book (`/allot/sync/1.0.0`). */
export type SyncRequest = {
  chainId: number
  market: Address
  book: 'asks' | 'bids'
  /** Opaque cursor from the previous page's `next`; absent for the first page. */
  cursor?: string | undefined
  /** Most orders wanted, 1–64; a page may hold fewer to fit the size limit. */
  limit: number
}

/** One page of a book. */
export type SyncResponse = {
  asks: SignedAsk[]
  bids: SignedBid[]
  /** Latest cancel of each provider on the page (asks book only). */
  cancels: SignedAskCancel[]
  /** Cursor of the next page; absent on the last page. */
  next?: string | undefined
}

/** The client offers a deal on one ask (`/allot/deal/1.0.0`). */
export type DealProposal = {
  bid: SignedBid
  /** `hashAsk` of the ask the client matched. */
  askHash: Hex
  /** The client's quote of that ask for the bid; terms may not ask more. */
  price: bigint
  /** Collateral the ask offers at that price; terms may not offer less. */
  collateral: bigint
}

/** The provider's signed terms. */
export type DealAccept = {
  terms: DealTerms
  /** EIP-712 signature of `terms` by the provider. */
  providerSignature: Hex
}

/** Why a provider declines a proposal. */
export const DeclineReason = {
  /** The ask hash is not the provider's current ask (replaced, cancelled, expired). */
  AskUnknown: 'ask-unknown',
  /** Bad bid signature, wrong market, or a proposal above the bid's maximum. */
  BidInvalid: 'bid-invalid',
  BidExpired: 'bid-expired',
  RuntimeUnsupported: 'runtime-unsupported',
  DurationUnsupported: 'duration-unsupported',
  /** Live capacity (CPU, memory, disk or GPUs) no longer covers the bid. */
  CapacityUnavailable: 'capacity-unavailable',
  /** The provider's live quote is above the proposed price. */
  PriceChanged: 'price-changed',
  /** The proposed collateral is above what the ask offers at that price. */
  CollateralMismatch: 'collateral-mismatch',
  /** The provider's position cannot back the collateral. */
  InsufficientCollateral: 'insufficient-collateral',
  JobUnavailable: 'job-unavailable',
  JobHashMismatch: 'job-hash-mismatch',
  JobTooLarge: 'job-too-large',
  /** A Docker job's image is named by a tag, not a digest. */
  ImageUnpinned: 'image-unpinned',
  /** A Docker job's image is neither on the provider nor carried by the job (nor pullable, where the provider pulls). */
  ImageMissing: 'image-missing',
  /** The image archive a Docker job carries is not the image its manifest names. */
  ImageMismatch: 'image-mismatch',
  /** The image archive is larger than the provider accepts. */
  ImageTooLarge: 'image-too-large',
  Busy: 'busy',
  Internal: 'internal',
} as const

/** A {@link DeclineReason} value. */
export type DeclineReason = (typeof DeclineReason)[keyof typeof DeclineReason]

/** The provider's refusal. */
export type DealDecline = {
  reason: DeclineReason
  /** Human-readable detail, at most 256 characters. */
  detail?: string | undefined
}

/** The provider asks the client for the job bundle from `offset` (`/allot/job/1.0.0`). */
export type JobRequest = {
  jobHash: Hex
  offset: number
}

/**
 * Opens the answer to a job or result request: `total - offset` raw bytes of the
 * bundle follow it on the stream, unframed, so a transfer pays no per-chunk
 * encoding. A request from `offset` resumes an interrupted transfer.
 */
export type TransferHeader = {
  /** Offset of the first byte that follows. */
  offset: number
  /** Bundle size, bytes. */
  total: number
}

/** Header of a job bundle transfer. */
export type JobHeader = TransferHeader

/** The client asks the provider for a deal's result bundle from `offset` (`/allot/result/1.0.0`). */
export type ResultRequest = {
  dealId: Hex
  offset: number
}

/** Header of a result bundle transfer. */
export type ResultHeader = TransferHeader

/** The client follows a deal's logs from entry `from` on (`/allot/logs/1.0.0`). */
export type LogsRequest = {
  dealId: Hex
  from: number
}

/** A piece of a running job's output; the provider closes the stream when the job ends. */
export type LogEntry = {
  /** Position of the entry in the deal's log, from 0. */
  seq: number
  stream: 'stdout' | 'stderr'
  /** At most `MAX_CHUNK_BYTES`. */
  data: Uint8Array
}

/** Why a job or result fetch fails. */
export const FetchErrorReason = {
  NotFound: 'not-found',
  NotAuthorized: 'not-authorized',
  BadOffset: 'bad-offset',
  Internal: 'internal',
} as const

/** A {@link FetchErrorReason} value. */
export type FetchErrorReason = (typeof FetchErrorReason)[keyof typeof FetchErrorReason]

/** A job or result fetch failed; ends the exchange. */
export type FetchError = {
  reason: FetchErrorReason
  detail?: string | undefined
}

/** Every message body by its type name. */
export type MessageBodies = {
  ask: SignedAsk
  bid: SignedBid
  'ask-cancel': SignedAskCancel
  'sync-request': SyncRequest
  'sync-response': SyncResponse
  'deal-proposal': DealProposal
  'deal-accept': DealAccept
  'deal-decline': DealDecline
  'job-request': JobRequest
  'job-header': JobHeader
  'result-request': ResultRequest
  'result-header': ResultHeader
  'logs-request': LogsRequest
  'log-entry': LogEntry
  'fetch-error': FetchError
}

/** A message type name. */
export type MessageType = keyof MessageBodies

/** A decoded message: its type and body. Narrow with `switch (message.type)`. */
export type Message<type extends MessageType = MessageType> = {
  [K in type]: { type: K; body: MessageBodies[K] }
}[type]
