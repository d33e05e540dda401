import type { Address, Hex } from 'viem'

/** How an explanation shows what a custom error carries: amounts in tokens, dates in local time. */
export type ErrorFormat = {
  /** An amount of payment-token base units, e.g. `1.5 tUSD`. */
  payment: (value: bigint) => string
  /** An amount of collateral-token base units. */
  collateral: (value: bigint) => string
  /** An amount of whichever token `address` is (payment, collateral, or base units of an unknown one). */
  token: (address: Address, value: bigint) => string
  /** Unix seconds as a local date and time. */
  date: (seconds: bigint | number) => string
  /** A deal id, address or hash cut to something a person can compare. */
  short: (hex: Hex | string) => string
}

export type Explanation = { message: string; hint: string }

type Entry = (args: readonly any[], format: ErrorFormat) => Explanation

const dealStatuses = ['unknown', 'open', 'committed', 'disputed', 'defaulted', 'being liquidated', 'settled', 'liquidated']
const status = (value: unknown) => dealStatuses[Number(value)] ?? `status ${String(value)}`
const seeStatus = (dealId: Hex) => `See where it stands with \`allot job status ${dealId.slice(0, 10)}\`.`
const fileBug = 'This is a fault of the software, not of your input: report it with the output of the command run with -v.'

/**
 * One sentence in market words and one hint for every custom error of the market
 * contract. A test fails when the ABI has an error without an entry here: adding
 * one is one line (the key is the error's name, the arguments arrive in ABI order).
 */
export const marketErrors: Record<string, Entry> = {
  // access
  NotOwner: ([caller]) => ({ message: `Only the market's owner may do this, and ${caller} is not it.`, hint: 'Use the owner account (--private-key or the keystore of the home that deployed the market).' }),
  NotPendingOwner: ([caller]) => ({ message: `${caller} was not offered the ownership of the market.`, hint: 'The current owner must first transfer ownership to this account.' }),
  NotArbiter: ([caller]) => ({ message: `Only the market's arbiter may resolve disputes, and ${caller} is not it.`, hint: 'Use the arbiter account.' }),
  NotClient: ([caller]) => ({ message: `Only the deal's client may do this, and ${caller} is not it.`, hint: 'Run the command from the home (or with the key) that opened the deal.' }),
  NotProvider: ([caller]) => ({ message: `Only the deal's provider may do this, and ${caller} is not it.`, hint: 'Run it with the provider account that signed the deal.' }),
  Reentrancy: () => ({ message: 'The market refused a call made from inside another of its calls.', hint: 'Call the market directly, not from a token or contract hook.' }),
  // configuration
  ZeroAddress: () => ({ message: 'An address given to the market is the zero address.', hint: 'Check the addresses in the command or deployment.' }),
  NotAContract: ([account]) => ({ message: `${account} has no contract code, so it cannot be a token or price feed.`, hint: 'Check the deployment file: it may belong to another chain, or the chain was restarted.' }),
  InvalidPriceFeed: ([feed]) => ({ message: `The price feed ${feed} does not fit the tokens: a feed is needed exactly when collateral and payment tokens differ.`, hint: 'Deploy with a feed for separate tokens, or none for one token.' }),
  ParameterOutOfBounds: ([name, value, min, max]) => ({ message: `The market parameter ${hexToLabel(name)} = ${value} is outside ${min}…${max}.`, hint: 'Pick a value within the bounds.' }),
  // amounts and tokens
  ZeroAmount: () => ({ message: 'The amount is zero.', hint: 'Give a positive amount.' }),
  AmountOverflow: ([amount]) => ({ message: `The amount ${amount} is too large for the market to hold.`, hint: 'Use a smaller amount.' }),
  MulDivOverflow: () => ({ message: 'A price computation overflowed: the collateral price feed reports an absurd value.', hint: 'Wait for the feed to be corrected; nothing was changed.' }),
  FeeOnTransferUnsupported: ([expected, received]) => ({ message: `The token delivered ${received} base units where ${expected} were sent: tokens that take a fee on transfer are not supported.`, hint: 'Use a plain ERC-20 token.' }),
  TransferFailed: ([token, to, amount], f) => ({ message: `The market could not pay ${f.token(token, amount)} to ${to}.`, hint: 'The token refused the transfer (paused or blocklisted); try again later.' }),
  TransferFromFailed: ([token, from, amount], f) => ({
    message: `The market could not take ${f.token(token, amount)} from ${from}: the balance or the allowance is too small.`,
    hint: 'Check your balances with `allot balance`, fund the account, and approve the market for at least this amount.',
  }),
  NothingToClaim: ([token, account], f) => ({ message: `${account} has nothing of ${f.token(token, 0n).replace(/^0 /, '')} to claim.`, hint: 'Credits appear when a deal of yours is liquidated (refund, compensation, keeper bonus) or a payout to you fails; `allot balance` shows them.' }),
  CreditVesting: ([token, account, amount, unlockAt], f) => ({
    message: `${account} has nothing to claim yet: ${f.token(token, amount)} taken from a defaulted provider is vesting until ${f.date(unlockAt)}.`,
    hint: 'Compensation and keeper bonuses wait one to two unbonding periods; run `allot claim` after that time (`allot balance` shows what is vesting).',
  }),
  NoEarnings: ([provider]) => ({ message: `Provider ${provider} has no earnings in the market to withdraw.`, hint: 'Earnings are credited when your deals settle; `allot provider status` shows them.' }),
  NoFeesAccrued: () => ({ message: 'The market has no protocol fees to withdraw.', hint: 'Fees accrue as deals settle.' }),
  // oracle
  StalePrice: ([updatedAt, maxAge], f) => ({
    message: `The collateral price was last updated ${f.date(updatedAt)}, more than ${maxAge} s ago, so positions cannot be valued.`,
    hint: 'Wait for the price feed to update (on `allot chain dev`, restart the chain), then try again.',
  }),
  InvalidPrice: ([answer]) => ({ message: `The collateral price feed answers ${answer}, which is not a valid price.`, hint: 'Wait for the feed to be corrected; nothing was changed.' }),
  // signatures
  InvalidSignatureLength: ([length]) => ({ message: `The provider's signature is ${length} bytes long instead of 65.`, hint: 'The provider runs incompatible software; choose another provider.' }),
  SignatureHighS: () => ({ message: "The provider's signature is malleable (high s) and is refused.", hint: 'The provider runs incompatible software; choose another provider.' }),
  InvalidSignatureV: ([v]) => ({ message: `The provider's signature has an invalid recovery byte ${v}.`, hint: 'The provider runs incompatible software; choose another provider.' }),
  InvalidSignature: () => ({ message: "The provider's signature does not recover to any account.", hint: 'Ask for fresh terms; the signature was damaged.' }),
  SignerMismatch: ([signer, provider]) => ({
    message: `The deal terms were signed by ${signer}, not by their provider ${provider}.`,
    hint: 'The terms were signed for another market or chain; renegotiate with `allot job submit`.',
  }),
  InvalidContractSignature: ([provider]) => ({ message: `The provider contract ${provider} did not accept the signature of the terms.`, hint: 'Renegotiate, or choose another provider.' }),
  // deals
  ZeroDealPrice: () => ({ message: 'A deal must have a price above zero.', hint: 'Raise --max-price.' }),
  OfferExpired: ([expiry], f) => ({ message: `The provider's offer expired at ${f.date(expiry)}.`, hint: 'Submit the job again to get fresh terms; nothing was paid.' }),
  DeadlinePassed: ([deadline], f) => ({ message: `The deal's deadline passed at ${f.date(deadline)}, so it can no longer be committed or opened.`, hint: 'The client is refunded through liquidation: `allot job cancel ID`, or a keeper does it.' }),
  DeadlineNotReached: ([deadline], f) => ({
    message: `The deal's deadline has not passed yet: it falls at ${f.date(deadline)} (chain time).`,
    hint: 'Wait until then; the provider may still commit a result. A keeper liquidates it as soon as the deadline passes.',
  }),
  DealAlreadyExists: ([dealId], f) => ({ message: `Deal ${f.short(dealId)} is already open: the same terms cannot be used twice.`, hint: seeStatus(dealId) }),
  DealNotFound: ([dealId], f) => ({ message: `The market knows no deal ${f.short(dealId)}.`, hint: 'Check the id with `allot job list`; the chain may have been restarted since the deal was opened.' }),
  DealNotOpen: ([dealId, s], f) => ({ message: `Deal ${f.short(dealId)} is ${status(s)}, not open.`, hint: seeStatus(dealId) }),
  DealNotCommitted: ([dealId, s], f) => ({ message: `Deal ${f.short(dealId)} is ${status(s)}: it has no committed result to settle or dispute.`, hint: seeStatus(dealId) }),
  DealNotDisputed: ([dealId, s], f) => ({ message: `Deal ${f.short(dealId)} is ${status(s)}, not disputed.`, hint: seeStatus(dealId) }),
  DealNotLiquidatable: ([dealId, s], f) => ({ message: `Deal ${f.short(dealId)} is ${status(s)} and cannot be liquidated.`, hint: seeStatus(dealId) }),
  ChallengeWindowOpen: ([endsAt], f) => ({ message: `The challenge window is open until ${f.date(endsAt)}; until then only the client may settle.`, hint: 'Wait for the window to close, or settle as the client.' }),
  ChallengeWindowClosed: ([endedAt], f) => ({ message: `The challenge window closed at ${f.date(endedAt)}: the result can no longer be disputed.`, hint: 'The deal can only be settled now.' }),
  // positions
  InsufficientCollateral: ([required, available], f) => ({
    message: `The provider's stake cannot back this: it needs ${f.payment(required)} of backing and has ${f.payment(available)}.`,
    hint: 'A provider adds stake with `allot stake deposit`; a client chooses another provider or a smaller job.',
  }),
  WithdrawalExceedsCollateral: ([amount, collateral], f) => ({
    message: `A withdrawal of ${f.collateral(amount)} is more than the ${f.collateral(collateral)} in the position.`,
    hint: 'Ask for at most the collateral shown by `allot stake status`.',
  }),
  NoPendingWithdrawal: () => ({ message: 'There is no pending withdrawal.', hint: 'Request one first with `allot stake withdraw AMOUNT`.' }),
  WithdrawalLocked: ([withdrawableAt], f) => ({ message: `The withdrawal is still unbonding: it can be claimed from ${f.date(withdrawableAt)}.`, hint: 'Run `allot stake withdraw --claim` after that time.' }),
  PositionHealthy: ([healthFactor]) => ({ message: `The position is healthy (health factor ${formatWad(healthFactor)}) and cannot be liquidated.`, hint: 'Positions become liquidatable below a health factor of 1.' }),
  CloseFactorExceeded: ([amount, maxAmount], f) => ({ message: `Covering ${f.payment(amount)} is more than the ${f.payment(maxAmount)} one liquidation may cover.`, hint: 'Cover at most the close factor’s share.' }),
  CloseFactorUsed: ([provider]) => ({ message: `This block's share of provider ${provider}'s position that may be liquidated is used up.`, hint: 'Try again in a later block; a keeper does so by itself.' }),
  // added with factory markets
  NotFeeRecipient: ([caller]) => ({ message: `Only the market's fee recipient may do this, and ${caller} is not it.`, hint: 'Use the fee recipient account.' }),
  ClientsNotSenior: ([cf, bonus, insurance]) => ({
    message: `These parameters would pay bonuses before clients: a collateral factor of ${Number(cf) / 100}% with a keeper bonus of ${Number(bonus) / 100}% and an insurance share of ${Number(insurance) / 100}% exceeds 100%.`,
    hint: 'Lower the collateral factor, the keeper bonus or the insurance share.',
  }),
  TooManyDecimals: ([token, decimals, max]) => ({ message: `Token ${token} has ${decimals} decimals; the market supports at most ${max}.`, hint: 'Create the market with another token.' }),
  ParametersNotStored: () => ({ message: 'The market could not store its parameters while being created (it ran out of gas).', hint: 'Create the market again with a higher gas limit.' }),
  DecimalsUnreadable: ([token]) => ({ message: `Token ${token} does not say how many decimals it has.`, hint: 'Create the market with an ERC-20 token that implements decimals().' }),
  // the factory's own
  MarketExists: ([market]) => ({ message: `A market with exactly this configuration exists already, at ${market}.`, hint: `Use it with --market ${market}, or change a parameter to create a different market.` }),
  UnknownMarketCode: ([codeHash, expected]) => ({
    message: `The market code sent (hash ${codeHash}) is not the code this factory deploys (${expected}).`,
    hint: 'This build of allot does not match the factory of the deployment: use the allot version the deployment was made with, or deploy anew with `allot chain dev`.',
  }),
  InsufficientMarketBalance: ([token, amount, balance], f) => ({
    message: `The market holds ${f.token(token, balance)} but owes ${f.token(token, amount)}: the token lost balance (rebasing or misbehaving), so the payout is refused.`,
    hint: 'Nothing was paid out of other users’ deposits; report the token to the market’s owner.',
  }),
  FeeRecipientDelayNotPassed: ([effectiveAt], f) => ({ message: `The new fee recipient takes over only from ${f.date(effectiveAt)}.`, hint: 'Accept the role after that time.' }),
  NoFeeRecipientProposed: () => ({ message: 'No new fee recipient has been proposed.', hint: 'The current fee recipient proposes one first.' }),
  VolatilityUpToDate: ([roundId]) => ({ message: `The price feed has no round newer than ${roundId}: the volatility estimate is up to date.`, hint: 'Nothing to do until the feed publishes a new price.' }),
  SelfDeal: ([account]) => ({ message: `${account} cannot be both the client and the provider of a deal.`, hint: 'Submit the job from another account than the provider’s.' }),
  DealTooShort: ([deadline, earliest], f) => ({
    message: `The deal's deadline ${f.date(deadline)} is earlier than the market's shortest deal allows (${f.date(earliest)}).`,
    hint: 'Raise the job’s wallSeconds, or use a provider that gives more time (its --deadline-slack).',
  }),
  ArbitrationWindowOpen: ([endsAt], f) => ({ message: `The arbiter may still decide the dispute until ${f.date(endsAt)}.`, hint: 'Wait until then; after it anyone may close the dispute with its default outcome.' }),
  ArbitrationWindowClosed: ([endedAt], f) => ({ message: `The arbiter's time to decide ended at ${f.date(endedAt)}.`, hint: 'The dispute now closes with its default outcome: anyone may close it.' }),
  NoCollateralToSeize: ([provider]) => ({ message: `Provider ${provider} has no collateral left to seize.`, hint: 'Nothing more can be recovered from this position.' }),
}

/** The entry for a custom error the table lacks: still a sentence, never a dump. */
export function unknownMarketError(name: string, args: readonly unknown[]): Explanation {
  return { message: `The market refused the call with ${name}(${args.map(String).join(', ')}).`, hint: fileBug }
}

function hexToLabel(value: unknown): string {
  const hex = String(value).replace(/^0x/, '').replace(/(00)+$/, '')
  return Buffer.from(hex, 'hex').toString('utf8') || String(value)
}

function formatWad(value: unknown): string {
  return (Number(BigInt(value as bigint) / 10n ** 15n) / 1000).toFixed(3)
}
