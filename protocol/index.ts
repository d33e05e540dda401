// The public API of `protocol/`: pure types, schemas, codecs, EIP-712
// definitions, topic names, matching and pricing. No I/O.

export * from './constants.ts'

export { BaseError, type BaseErrorParameters, type BaseErrorType } from './errors/base.ts'
export {
  MalformedMessageError,
  type MalformedMessageErrorType,
  MessageTooLargeError,
  type MessageTooLargeErrorType,
  SchemaError,
  type SchemaErrorType,
  type SchemaIssue,
  UnexpectedMessageTypeError,
  type UnexpectedMessageTypeErrorType,
  UnknownMessageTypeError,
  type UnknownMessageTypeErrorType,
  UnsupportedVersionError,
  type UnsupportedVersionErrorType,
} from './errors/codec.ts'
export {
  GpuUnavailableError,
  type GpuUnavailableErrorType,
  InvalidPricingCurveError,
  type InvalidPricingCurveErrorType,
  InvalidUtilizationError,
  type InvalidUtilizationErrorType,
  PriceOverflowError,
  type PriceOverflowErrorType,
} from './errors/pricing.ts'

export { type Gpu, type MarketParameters, type Requirements, type Resources, type Runtime, runtimes } from './types/resources.ts'
export type { Ask, AskCancel, AskEntry, GpuPrice, SignedAsk, SignedAskCancel, UnitPrices } from './types/ask.ts'
export type { Bid, SignedBid } from './types/bid.ts'
export type { DealTerms } from './types/dealTerms.ts'
export {
  type TransferHeader,
  type DealAccept,
  type DealDecline,
  type DealProposal,
  DeclineReason,
  type FetchError,
  FetchErrorReason,
  type JobHeader,
  type JobRequest,
  type Message,
  type MessageBodies,
  type MessageType,
  type ResultHeader,
  type LogsRequest,
  type LogEntry,
  type ResultRequest,
  type SyncRequest,
  type SyncResponse,
} from './types/messages.ts'

export { askSchema, signedAskCancelSchema, signedAskSchema, unitPricesSchema } from './schemas/ask.ts'
export { bidSchema, signedBidSchema } from './schemas/bid.ts'
export { dealTermsSchema } from './schemas/dealTerms.ts'
export { MAX_SYNC_LIMIT, messageSchemas } from './schemas/messages.ts'
export { gpuRequirementSchema, gpuSchema, MAX_GPU_ENTRIES, requirementsSchema, resourcesSchema } from './schemas/resources.ts'

export { askCancelTypes, askTypes, bidTypes, dealTermsTypes } from './eip712/types.ts'
export { marketDomain, type MarketDomainParameters, type MarketDomainReturnType } from './eip712/marketDomain.ts'
export { askTypedData, type AskTypedDataReturnType } from './eip712/askTypedData.ts'
export { bidTypedData, type BidTypedDataReturnType } from './eip712/bidTypedData.ts'
export { askCancelTypedData, type AskCancelTypedDataReturnType } from './eip712/askCancelTypedData.ts'
export { dealTermsTypedData, type DealTermsTypedDataReturnType } from './eip712/dealTermsTypedData.ts'
export { hashAsk, type HashAskReturnType } from './eip712/hashAsk.ts'
export { hashBid, type HashBidReturnType } from './eip712/hashBid.ts'
export { hashAskCancel, type HashAskCancelReturnType } from './eip712/hashAskCancel.ts'
export { hashDealTerms, type HashDealTermsReturnType } from './eip712/hashDealTerms.ts'
export { recoverAskSigner, type RecoverAskSignerParameters, type RecoverAskSignerReturnType } from './eip712/recoverAskSigner.ts'
export { recoverBidSigner, type RecoverBidSignerParameters, type RecoverBidSignerReturnType } from './eip712/recoverBidSigner.ts'
export {
  recoverAskCancelSigner,
  type RecoverAskCancelSignerParameters,
  type RecoverAskCancelSignerReturnType,
} from './eip712/recoverAskCancelSigner.ts'
export {
  recoverDealTermsSigner,
  type RecoverDealTermsSignerParameters,
  type RecoverDealTermsSignerReturnType,
} from './eip712/recoverDealTermsSigner.ts'

export { decodeMessage, type DecodeMessageErrorType, type DecodeMessageParameters, type DecodeMessageReturnType } from './codec/decodeMessage.ts'
export { encodeMessage, type EncodeMessageErrorType } from './codec/encodeMessage.ts'
export { decodeFrame, type DecodeFrameReturnType, encodeFrame } from './codec/frame.ts'
export { decodeUvarint, type DecodeUvarintReturnType, encodeUvarint } from './codec/uvarint.ts'
export { messageTypeByCode, messageTypeCodes } from './codec/messageTypes.ts'

export { marketTopics, type MarketTopicsReturnType, topicMessageTypes } from './topics.ts'
export { DEAL_PROTOCOL, JOB_PROTOCOL, LOGS_PROTOCOL, protocolMessageTypes, RESULT_PROTOCOL, SYNC_PROTOCOL } from './protocols.ts'

export { normalizeGpuModel } from './resources/normalizeGpuModel.ts'

export { assertPricingCurve, DEFAULT_PRICING_CURVE, type PricingCurve } from './pricing/pricingCurve.ts'
export { utilizationMultiplier } from './pricing/utilizationMultiplier.ts'
export { askUtilization } from './pricing/askUtilization.ts'
export { quote, type QuoteErrorType } from './pricing/quote.ts'
export { dealCollateral } from './pricing/dealCollateral.ts'
export {
  marketStats,
  type MarketStatsParameters,
  type MarketStatsReturnType,
  type PriceQuantiles,
  type ResourceUsage,
} from './pricing/marketStats.ts'
export { pricingCurvePoints, type PricingCurvePointsReturnType } from './pricing/pricingCurvePoints.ts'

export { assignGpus, type AssignGpusReturnType, type GpuAssignment } from './matching/assignGpus.ts'
export { matchCriteria, MatchCriterion } from './matching/matchCriteria.ts'
export { type CanBack, evaluateAsk, type EvaluateAskParameters, type EvaluateAskReturnType } from './matching/evaluateAsk.ts'
export { type MatchBidParameters, type MatchBidReturnType, type MatchCandidate, matchBid } from './matching/matchBid.ts'
export {
  createMatchIndex,
  type MatchIndex,
  type MatchIndexMatchParameters,
  type MatchIndexOptions,
  type MatchIndexReturnType,
} from './matching/matchIndex.ts'

export { type GossipAction, OrderRejection, orderRejectionAction, type OrderValidation } from './validation/orderRejection.ts'
export { isSameMarket } from './validation/isSameMarket.ts'
export { validateAsk, type ValidateAskParameters } from './validation/validateAsk.ts'
export { validateBid, type ValidateBidParameters } from './validation/validateBid.ts'
export { validateAskCancel, type ValidateAskCancelParameters } from './validation/validateAskCancel.ts'
export { verifyAsk, type VerifyAskParameters } from './validation/verifyAsk.ts'
export { verifyBid, type VerifyBidParameters } from './validation/verifyBid.ts'
export { verifyAskCancel, type VerifyAskCancelParameters } from './validation/verifyAskCancel.ts'
export {
  validateDealProposal,
  type ValidateDealProposalParameters,
  type ValidateDealProposalReturnType,
} from './validation/validateDealProposal.ts'
export { DealAcceptRejection, type DealAcceptValidation } from './validation/dealAcceptRejection.ts'
export { validateDealAccept, type ValidateDealAcceptParameters } from './validation/validateDealAccept.ts'
export { verifyDealAccept, type VerifyDealAcceptParameters } from './validation/verifyDealAccept.ts'

// Job manifests and bundles (owned with docs/jobs.md).
export * from './job/index.ts'
