// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "./IERC20.sol";
import {IAggregatorV3} from "./IAggregatorV3.sol";

/// @notice What a provider signs and a client opens. The terms are stored nowhere: every call after
/// `openDeal` passes them again in calldata and the market re-hashes them to find the deal.
struct DealTerms {
    /// @dev `msg.sender` of `openDeal` must equal this.
    address client;
    address provider;
    /// @dev Payment-token units, pulled from the client into escrow by `openDeal`.
    uint128 price;
    /// @dev Compensation owed to the client on default, in payment-token units; added to the provider's obligations.
    uint128 collateral;
    bytes32 jobHash;
    /// @dev Unix seconds: the result must be committed strictly before this.
    uint64 deadline;
    /// @dev Unix seconds: the signed offer can be opened until this (inclusive).
    uint64 expiry;
    uint256 salt;
}

/// @notice Risk and fee parameters, fixed when the market is created and never changed: new parameters mean a
/// new market. Every field is checked against hard bounds (see `AllotMarket` constants).
struct Parameters {
    /// @dev CF: a deal opens only if obligations after it <= CF_eff x value(free collateral) + coverage, where
    /// CF_eff = CF - volatility cut (see `effectiveFactors`).
    uint16 collateralFactorBps;
    /// @dev LT (> CF): health factor = (value(collateral + pending) x LT_eff + coverage) / obligations, with
    /// LT_eff = LT - volatility cut.
    uint16 liquidationThresholdBps;
    /// @dev Extra collateral value a position liquidator receives on top of what it pays into coverage, capped
    /// at the provider's equity above its obligations.
    uint16 liquidationBonusBps;
    /// @dev Keeper's share of the compensation a deal liquidation takes from the provider, paid by the provider
    /// on top, only from what is left after every client is backed. Bound: CF x (1 + keeper + insurance) <= 1.
    uint16 keeperBonusBps;
    /// @dev Insurance fund's share of the compensation a deal liquidation takes from the provider, paid like the
    /// keeper bonus (after the clients).
    uint16 insuranceBps;
    /// @dev Taken from the provider's earnings when it withdraws them (`withdrawEarnings`), rounded down on the
    /// sum: settling credits the whole price, so that a settlement writes no shared fee slot.
    uint16 protocolFeeBps;
    /// @dev Bond a disputing client posts, as a share of the deal price.
    uint16 disputeBondBps;
    /// @dev Seconds after `commitResult` during which the client may dispute and only the client may settle.
    uint32 challengeWindow;
    /// @dev Seconds between `requestWithdrawal` and `withdraw`.
    uint32 unbondingPeriod;
    /// @dev Oldest oracle answer (seconds) the market accepts.
    uint32 maxPriceAge;
    /// @dev Seconds the arbiter has to resolve a dispute; after it anyone may close it with the default outcome.
    uint32 arbitrationWindow;
    /// @dev Shortest deal: `deadline` must be at least this many seconds after `openDeal`.
    uint32 minDealDuration;
    /// @dev Weight of the newest feed round in the exponentially weighted variance (0: volatility not tracked).
    uint16 volatilityWeightBps;
    /// @dev Per-round price move (standard deviation, bps) at which the volatility cut is complete.
    uint16 maxVolatilityBps;
    /// @dev CF_eff at full volatility (<= CF); LT_eff falls by the same cut.
    uint16 minCollateralFactorBps;
}

/// @notice What a market is created with; all of it is immutable.
/// @dev `priceFeed` must be address(0) exactly when `paymentToken == collateralToken` (collateral is then worth
/// its amount).
struct MarketConfig {
    IERC20 paymentToken;
    IERC20 collateralToken;
    IAggregatorV3 priceFeed;
    /// @dev Decides disputes within `arbitrationWindow`; can touch nothing else.
    address arbiter;
    /// @dev Receives protocol fees; changes only through `proposeFeeRecipient` + `FEE_RECIPIENT_DELAY`.
    address feeRecipient;
    Parameters params;
}

/// @notice A provider's position. Amounts: collateral and pending withdrawal in collateral-token units,
/// obligations and coverage in payment-token units.
/// @dev A view: the market stores it packed differently (obligations fit in 120 bits).
struct Position {
    /// @dev Prices of settled deals credited to the provider and not yet withdrawn (`withdrawEarnings`), before
    /// the protocol fee. Pull, not push: settling writes this next to the obligations it already writes.
    uint128 earnings;
    /// @dev Sum of `collateral` over the provider's unfinished deals (plus compensation still owed by deals in `Liquidating`).
    uint128 obligations;
    /// @dev Payment tokens placed by position liquidators; never exceeds obligations (the excess goes back to the provider).
    uint128 coverage;
    /// @dev Free collateral: backs new deals, withdrawable through `requestWithdrawal`.
    uint128 collateral;
    /// @dev Requested for withdrawal; no longer backs new deals but stays slashable until withdrawn.
    uint128 pendingWithdrawal;
    /// @dev When `withdraw` becomes possible (unix seconds); restarted by every `requestWithdrawal`.
    uint64 withdrawableAt;
}

/// @notice Credits that a deal liquidation took from a provider for one recipient (the client's compensation, the
/// keeper's bonus), claimable from `unlockAt`. Each (token, account) has two buckets (`vesting`).
/// @dev Credits made in one unbonding-period window [k x U, (k + 1) x U) share a bucket that unlocks at
/// (k + 2) x U: each waits at least one unbonding period U and at most two, and a recipient credited again and
/// again (a busy keeper) is still paid, one window after another. The bucket a new window reuses always unlocked
/// before the window began; a credit finding it unclaimed moves it to `claimable` first.
struct Vesting {
    uint128 amount;
    /// @dev Unix seconds; zero for an empty bucket.
    uint64 unlockAt;
}

/// @notice Lifecycle of a deal. A deal id never returns to `None`, so a signed offer opens at most one deal.
enum DealStatus {
    None,
    /// @dev Price escrowed, waiting for the provider's result. Liquidatable once `deadline` has passed.
    Open,
    /// @dev Result committed; settleable by the client at once, by anyone after the challenge window.
    Committed,
    /// @dev The client disputed inside the challenge window; waiting for the arbiter.
    Disputed,
    /// @dev The arbiter found the provider at fault; liquidatable.
    Defaulted,
    /// @dev Liquidated in part: the refund is paid, `collateral` of compensation is still owed (waiting for a fresh price).
    Liquidating,
    /// @dev Final: the provider was paid.
    Settled,
    /// @dev Final: the client was refunded and compensated (or the shortfall was recorded as bad debt).
    Liquidated,
    /// @dev Final: the arbiter did not answer in time and the dispute was closed with the default outcome.
    DisputeExpired
}

/// @notice The one storage slot a deal has, kept under its provider (`deal(provider, dealId)`).
/// @dev It holds what `commitResult` and `settleMany` need, so those take deal ids instead of the full terms:
/// the provider is the key, the deadline, price and collateral are here. Price and collateral are bounded to 104
/// bits at opening (`AmountOverflow`).
struct DealState {
    DealStatus status;
    /// @dev `Open`: the deadline. `Committed`: when the result was committed. `Disputed`: when the dispute began.
    /// Unix seconds.
    uint40 time;
    /// @dev The deal price (payment-token units); the dispute bond is `disputeBondBps` of it.
    uint104 price;
    /// @dev The compensation owed on default; in `Liquidating`, the part still owed (waiting for a fresh price).
    uint104 collateral;
}

/// @title IAllotMarket
/// @notice Escrow, collateral and liquidation for compute deals between clients and providers.
/// @dev Pull, not push: settlement credits the provider's `earnings` (withdrawn with `withdrawEarnings`), and a
/// deal liquidation credits the client's refund and compensation and the keeper's bonus (withdrawn with `claim`):
/// the refund and what the insurance fund tops up to `claimable` at once, what it takes from the provider to
/// `vesting`, claimable one to two unbonding periods later (see "Collateral leaves only after unbonding"). A
/// client's payment-token credit pays its next deal (`openDeal`) before any transfer, and a client may pre-fund it
/// with `depositPayment`. So the common path moves no tokens but the one escrow pull, and none
/// when the client's credit pays.
///
/// No key can change a market. Tokens, price feed, arbiter and every parameter are immutable (a new rule
/// means a new market, created by anyone through `AllotMarketFactory`); there is no owner. The arbiter can only
/// decide disputes, within `arbitrationWindow`; the fee recipient can only receive the protocol fees and hand that
/// role on after `FEE_RECIPIENT_DELAY`. Nothing any key does moves escrow, collateral, coverage or claims.
///
/// Token assumptions (the market is only sound for tokens that meet them; the factory checks what it can):
/// - ERC-20 with `decimals()` at most 18 for either token and for the feed (checked at creation,
///   `TooManyDecimals`, `DecimalsUnreadable`);
/// - no fee on transfer (checked on every pull, `FeeOnTransferUnsupported`);
/// - no rebasing or other balance change the market did not make: a shrinking balance makes payouts revert
///   with `InsufficientMarketBalance` rather than pay one account from another's deposit;
/// - `transfer` and `transferFrom` either revert, return false, or return true / nothing, and do not burn all
///   gas; a recipient whose transfer fails (blocklisted, reverting hook) is credited in `claimable` instead
///   (`PayoutCredited`) and never blocks anyone else;
/// - total supply below 2^120 base units (amount fields are 120 and 128 bits);
/// - the price feed is a Chainlink-style aggregator whose `roundId` grows with every new answer.
///
/// Accounting invariant, per token: balanceOf(market) == escrowed prices + dispute bonds + collateral + pending
/// withdrawals + coverage + insurance fund (both parts) + fees + claimable credits + providers' earnings (summed over both roles when
/// the payment and collateral tokens are the same); only a direct transfer to the market makes the left side
/// larger. Coverage never exceeds obligations; whenever obligations shrink below coverage (a settlement), the
/// excess is credited to the provider's `claimable` payment tokens (`CoverageReleased`).
///
/// Clients first: on default the client's refund and compensation are paid before the keeper bonus and the
/// insurance share, which come only from the provider's equity above its remaining obligations; the creation
/// bound CF x (1 + keeperBonus + insurance) <= 1 keeps that equity there at the price a deal opened at.
/// What neither the provider nor the insurance fund can pay is recorded as bad debt (`CompensationShortfall`,
/// `badDebt`).
///
/// Collateral leaves only after unbonding: a provider's collateral and coverage reach the provider, or anyone it
/// colludes with, no sooner than `unbondingPeriod`. `withdraw` waits for it; what a deal liquidation takes from
/// the provider (the client's compensation and the keeper's bonus; the insurance share stays in the fund) vests
/// for one to two unbonding periods (`Vesting`) and cannot pay deals meanwhile, so defaulting on purpose on a deal
/// with a colluding client, liquidated by a colluding keeper, gets nothing out sooner. The one exception is a
/// position liquidation, which buys collateral at once but only below HF 1, only for payment tokens that stay as
/// coverage while the obligations do, and with a bonus only from the equity above the obligations.
/// @dev A recipient's vesting credits are not spendable: `openDeal` pays only from `claimable`.
interface IAllotMarket {
    /* ----------------------------------------------------------------------------------------- */
    /*                                           EVENTS                                          */
    /* ----------------------------------------------------------------------------------------- */

    /// @notice Emitted once, by the constructor: the rules this market keeps for ever.
    event MarketConfigured(MarketConfig config);

    event CollateralDeposited(address indexed provider, address indexed from, uint256 amount);
    /// @param amount Added by this request. @param pendingWithdrawal Total now pending.
    event WithdrawalRequested(address indexed provider, uint256 amount, uint256 pendingWithdrawal, uint64 withdrawableAt);
    event WithdrawalCancelled(address indexed provider, uint256 amount);
    event Withdrawn(address indexed provider, uint256 amount);

    /// @notice Carries the full terms: calls that need the client re-hash them. The client is in the terms only
    /// (no topic of its own).
    event DealOpened(bytes32 indexed dealId, address indexed provider, DealTerms terms);
    event ResultCommitted(bytes32 indexed dealId, bytes32 resultHash);
    /// @notice One deal settled: its price was credited to the provider's `earnings`.
    /// @param providerAmount Price less this deal's share of the fee. @param fee This deal's share of the protocol
    /// fee, charged when the earnings are withdrawn (on their sum, which may round up to one unit per deal more).
    event DealSettled(bytes32 indexed dealId, address indexed provider, uint256 providerAmount, uint256 fee);
    /// @notice `settleMany`: one provider's deals settled together, one event instead of one per deal.
    /// @param total Sum of their prices, credited to the provider's `earnings` (before the fee).
    event DealsSettled(address indexed provider, bytes32[] dealIds, uint256 total);
    /// @notice A provider withdrew its earnings: `amount` sent, `fee` accrued to the protocol.
    event EarningsWithdrawn(address indexed provider, uint256 amount, uint256 fee);
    /// @notice Payment tokens a client put into its credit (`claimable`), to pay deals from.
    event PaymentDeposited(address indexed account, uint256 amount);
    event DealDisputed(bytes32 indexed dealId, address indexed client, uint256 bond);
    /// @param bond Returned to the client (at fault) or paid to the provider (not at fault).
    event DisputeResolved(bytes32 indexed dealId, bool providerAtFault, uint256 bond);
    /// @notice The arbiter did not answer within `arbitrationWindow`; the default outcome applied: the price and
    /// the bond went back to the client and the provider's obligation was released (no fee, no compensation).
    event DisputeExpired(bytes32 indexed dealId, address indexed client, uint256 refund, uint256 bond);
    /// @param refund Price returned to the client's credit (non-zero only on the first liquidation call of a deal).
    /// @param compensation Payment-unit value credited to the client in this call (provider and insurance fund
    /// together). @param keeperBonus Payment-unit value credited to the caller. @param insuranceShare Payment-unit value added to the insurance fund.
    /// @param deferred Compensation still owed, waiting for a fresh price (deal stays `Liquidating`); zero when final.
    /// @param vestedUntil When what this call took from the provider (the compensation it paid and the keeper
    /// bonus) becomes claimable; the refund and the insurance fund's part are claimable at once.
    event DealLiquidated(
        bytes32 indexed dealId,
        address indexed keeper,
        uint256 refund,
        uint256 compensation,
        uint256 keeperBonus,
        uint256 insuranceShare,
        uint256 deferred,
        uint64 vestedUntil
    );
    /// @notice The insurance fund paid part of a defaulted deal's compensation.
    event InsuranceUsed(bytes32 indexed dealId, uint256 paymentAmount, uint256 collateralAmount);
    /// @notice Bad debt realized: compensation neither the provider nor the insurance fund could pay. The deal is
    /// final and `badDebt` grows by `amount`.
    event CompensationShortfall(bytes32 indexed dealId, address indexed client, uint256 amount);
    event PositionLiquidated(
        address indexed provider, address indexed liquidator, uint256 repaid, uint256 collateralSeized
    );
    /// @notice Coverage above the provider's obligations went back to the provider (credited to `claimable`).
    event CoverageReleased(address indexed provider, uint256 amount);
    /// @notice A transfer to `account` failed, so the amount was credited to `claimable(token, account)`. (The
    /// credits of a deal liquidation are told by `DealLiquidated` instead, one event for the whole call.)
    event PayoutCredited(address indexed token, address indexed account, uint256 amount);
    event Claimed(address indexed token, address indexed account, uint256 amount);
    /// @notice A new feed round entered the volatility estimate. @param variance Per-round variance, WAD.
    event VolatilityUpdated(uint80 roundId, uint256 price, uint256 variance, uint256 cutBps);

    event FeeRecipientProposed(address indexed current, address indexed proposed, uint64 effectiveAt);
    event FeeRecipientChanged(address indexed previous, address indexed current);
    event FeesWithdrawn(address indexed to, uint256 amount);
    event InsuranceFunded(address indexed from, uint256 amount);

    /* ----------------------------------------------------------------------------------------- */
    /*                                           ERRORS                                          */
    /* ----------------------------------------------------------------------------------------- */

    // access
    error NotArbiter(address caller);
    error NotClient(address caller);
    error NotProvider(address caller);
    error NotFeeRecipient(address caller);
    error Reentrancy();

    // configuration (checked once, at creation)
    error ZeroAddress();
    error NotAContract(address account);
    /// @notice `priceFeed` must be zero exactly when the two tokens are the same.
    error InvalidPriceFeed(address priceFeed);
    /// @param name The `Parameters` field, as a short string.
    error ParameterOutOfBounds(bytes32 name, uint256 value, uint256 min, uint256 max);
    /// @notice CF x (1 + keeper bonus + insurance share) > 1: clients would not be paid before the bonuses.
    error ClientsNotSenior(uint256 collateralFactorBps, uint256 keeperBonusBps, uint256 insuranceBps);
    /// @notice A token or the feed reports more decimals than the market's amount fields can carry.
    error TooManyDecimals(address token, uint256 decimals, uint256 max);
    /// @notice `decimals()` reverted or returned something that is not a uint8.
    error DecimalsUnreadable(address token);
    /// @notice The contract that keeps the parameters for `parameters()` could not be created (out of gas).
    error ParametersNotStored();

    // amounts and tokens
    error ZeroAmount();
    error AmountOverflow(uint256 amount);
    /// @notice A multiply-then-divide result does not fit in 256 bits (e.g. an absurd oracle answer).
    error MulDivOverflow();
    error FeeOnTransferUnsupported(uint256 expected, uint256 received);
    error TransferFailed(address token, address to, uint256 amount);
    error TransferFromFailed(address token, address from, uint256 amount);
    /// @notice The market holds less of `token` than it owes (a rebasing or otherwise misbehaving token): the
    /// payout is refused rather than paid out of other users' deposits.
    error InsufficientMarketBalance(address token, uint256 amount, uint256 balance);
    error NothingToClaim(address token, address account);
    /// @notice Nothing is claimable yet: `amount` taken from a provider is still vesting until `unlockAt` (the
    /// earliest bucket).
    error CreditVesting(address token, address account, uint256 amount, uint64 unlockAt);
    error NoEarnings(address provider);
    error NoFeesAccrued();
    /// @notice The proposed fee recipient takes over only at `effectiveAt`.
    error FeeRecipientDelayNotPassed(uint64 effectiveAt);
    error NoFeeRecipientProposed();

    // oracle
    error StalePrice(uint256 updatedAt, uint256 maxAge);
    error InvalidPrice(int256 answer);
    /// @notice The feed has no round newer than the last one the volatility estimate took in.
    error VolatilityUpToDate(uint80 roundId);

    // signatures
    error InvalidSignatureLength(uint256 length);
    error SignatureHighS();
    error InvalidSignatureV(uint8 v);
    /// @notice ecrecover returned the zero address.
    error InvalidSignature();
    error SignerMismatch(address signer, address provider);
    /// @notice The provider is a contract and its `isValidSignature` did not return the EIP-1271 magic value.
    error InvalidContractSignature(address provider);

    // deals
    error ZeroDealPrice();
    /// @notice The client and the provider of a deal are the same account.
    error SelfDeal(address account);
    /// @notice The deadline is closer than the market's `minDealDuration`.
    error DealTooShort(uint64 deadline, uint256 earliestDeadline);
    error OfferExpired(uint64 expiry);
    error DeadlinePassed(uint64 deadline);
    error DeadlineNotReached(uint64 deadline);
    error DealAlreadyExists(bytes32 dealId);
    error DealNotFound(bytes32 dealId);
    error DealNotOpen(bytes32 dealId, DealStatus status);
    error DealNotCommitted(bytes32 dealId, DealStatus status);
    error DealNotDisputed(bytes32 dealId, DealStatus status);
    error DealNotLiquidatable(bytes32 dealId, DealStatus status);
    /// @notice Only the client may settle before `endsAt`.
    error ChallengeWindowOpen(uint256 endsAt);
    /// @notice Disputes were possible only before `endedAt`.
    error ChallengeWindowClosed(uint256 endedAt);
    /// @notice The arbiter may still answer until `endsAt`; only then may anyone close the dispute.
    error ArbitrationWindowOpen(uint256 endsAt);
    /// @notice The arbiter's time ended at `endedAt`; the dispute now closes with the default outcome.
    error ArbitrationWindowClosed(uint256 endedAt);

    // positions
    /// @notice Obligations after the call would exceed CF_eff x collateral value + coverage.
    error InsufficientCollateral(uint256 required, uint256 available);
    error WithdrawalExceedsCollateral(uint256 amount, uint256 collateral);
    error NoPendingWithdrawal();
    error WithdrawalLocked(uint64 withdrawableAt);
    error PositionHealthy(uint256 healthFactor);
    /// @notice This block's close factor for the provider is used up; try again in a later block.
    error CloseFactorUsed(address provider);
    /// @notice The liquidation would seize no collateral (the provider has none, or the amount is too small).
    error NoCollateralToSeize(address provider);

    /* ----------------------------------------------------------------------------------------- */
    /*                                         COLLATERAL                                        */
    /* ----------------------------------------------------------------------------------------- */

    /// @notice Pulls `amount` collateral tokens from the caller into the caller's position.
    function depositCollateral(uint256 amount) external;

    /// @notice Pulls `amount` collateral tokens from the caller into `provider`'s position.
    function depositCollateralFor(address provider, uint256 amount) external;

    /// @notice Moves `amount` of free collateral into the pending withdrawal and restarts the unbonding clock.
    /// @dev Refused when obligations > CF_eff x value(collateral after) + coverage (needs a fresh price unless
    /// coverage alone backs the obligations). Pending collateral stays slashable until `withdraw`.
    function requestWithdrawal(uint256 amount) external;

    /// @notice Returns the whole pending withdrawal to free collateral.
    function cancelWithdrawal() external;

    /// @notice Sends the pending withdrawal to the caller once the unbonding period has passed.
    /// @dev Re-checks the collateral factor against the free collateral that remains.
    function withdraw() external;

    /* ----------------------------------------------------------------------------------------- */
    /*                                           DEALS                                           */
    /* ----------------------------------------------------------------------------------------- */

    /// @notice Opens the deal the provider signed: takes `terms.price` into escrow, from the client's payment-token
    /// credit (`claimable`) when it holds the whole price, else pulled from the client; adds `terms.collateral` to the
    /// provider's obligations. Price and collateral must fit in 104 bits (`AmountOverflow`).
    /// @param providerSignature 65-byte ECDSA (r, s, v) over `dealId` (low s, v 27 or 28). A provider with code
    /// may instead sign through EIP-1271 `isValidSignature`, asked only when the ECDSA check does not pass; the
    /// ECDSA errors (`InvalidSignatureLength`, `SignatureHighS`, `InvalidSignatureV`, `InvalidSignature`,
    /// `SignerMismatch`) are for providers without code, `InvalidContractSignature` for those with code.
    /// @return dealId The EIP-712 digest of `terms`; also the deal's key.
    /// @dev Needs a fresh positive price when the tokens differ. The caller must be `terms.client`, so a leaked
    /// signature cannot be used to open a deal on someone else's behalf. Refused when the client is the provider
    /// (`SelfDeal`) or the deadline is closer than `minDealDuration` (`DealTooShort`).
    function openDeal(DealTerms calldata terms, bytes calldata providerSignature) external returns (bytes32 dealId);

    /// @notice The provider (the caller) commits the hash of its result, strictly before the deadline.
    /// @dev Deals are kept under their provider, so another caller finds no deal (`DealNotFound`).
    function commitResult(bytes32 dealId, bytes32 resultHash) external;

    /// @notice Credits the price to the provider's `earnings` and releases the obligation; no transfer.
    /// @dev The client may settle a committed deal at once; anyone may after the challenge window. Coverage above
    /// the obligations that remain is credited to the provider's `claimable`.
    function settle(DealTerms calldata terms) external;

    /// @notice Anyone: settles `provider`'s committed deals whose challenge window has passed, with one write of
    /// the provider's position and one `DealsSettled` event; other ids are skipped, not reverted.
    function settleMany(address provider, bytes32[] calldata dealIds) external;

    /// @notice Sends the caller its `earnings` less the protocol fee (`protocolFeeBps` of them, rounded down).
    function withdrawEarnings() external;

    /// @notice Pulls `amount` payment tokens into the caller's credit (`claimable`), which pays its deals.
    function depositPayment(uint256 amount) external;

    /// @notice The client disputes a committed deal inside the challenge window and posts
    /// `disputeBondBps x price` payment tokens as a bond.
    /// @dev The arbiter has `arbitrationWindow` seconds to answer; after that `closeExpiredDispute` ends it.
    function dispute(DealTerms calldata terms) external;

    /// @notice The arbiter decides a dispute, before the arbitration window ends. At fault: the bond goes back to
    /// the client and the deal becomes `Defaulted` (liquidatable). Not at fault: the deal settles as in `settle`
    /// (price credited to `earnings`) and the bond is paid to the provider.
    function resolveDispute(DealTerms calldata terms, bool providerAtFault) external;

    /// @notice Anyone, once the arbitration window has passed without an answer: the default outcome. The
    /// client gets its price and its bond back, the provider's obligation is released (no compensation, no fee),
    /// and the deal becomes `DisputeExpired`. No funds wait on a silent arbiter.
    function closeExpiredDispute(DealTerms calldata terms) external;

    /// @notice Liquidates a deal that is `Open` past its deadline, `Defaulted`, or `Liquidating`.
    /// @dev Everything is credited (client and caller withdraw with `claim`): no transfer here. The client's refund
    /// and what the insurance fund pays go to `claimable`; what the provider pays (compensation, keeper bonus)
    /// vests (`vesting`, `DealLiquidated.vestedUntil`), so that no colluding client or keeper receives a
    /// provider's collateral before the unbonding period.
    /// Order of payment: the client's price is refunded from escrow (never waits for the oracle); the
    /// compensation `terms.collateral` is taken from the provider's coverage, then free collateral, then pending
    /// withdrawal (at the oracle price), then the insurance fund (payment tokens, then collateral tokens). Only
    /// then the caller gets `keeperBonusBps` and the insurance fund `insuranceBps` of the compensation the provider
    /// paid, capped at the provider's equity above the obligations it still has (the other clients come first).
    /// If the price is stale or invalid when a collateral-token source must be used, everything not needing the
    /// price is still done, the remainder is recorded on the deal (`Liquidating`) and a later call completes it; a
    /// call that could do nothing reverts with the oracle error. What nobody can pay is bad debt.
    function liquidateDeal(DealTerms calldata terms) external;

    /// @notice While HF < 1, the caller pays up to `amount` payment tokens into `provider`'s coverage and receives
    /// collateral worth what it paid plus a bonus at the oracle price (free collateral first, then pending).
    /// @dev `amount` is clamped, never refused for being too large: to the close factor (50% of the uncovered
    /// obligations at the block's first liquidation, 100% when HF < 0.95), counted per block and provider, and to
    /// what the provider's collateral pays for. The bonus (`liquidationBonusBps`) is capped at the provider's
    /// equity above its obligations, so a liquidation never lowers what backs the clients' claims. A call that
    /// would seize nothing reverts (`NoCollateralToSeize`).
    function liquidatePosition(address provider, uint256 amount) external;

    /// @notice Anyone: takes the feed's latest round into the volatility estimate (O(1); the keeper calls it).
    /// @dev variance = (1 - w) x variance + w x r^2 with r = (p - p_prev) / p_prev between the last round taken in
    /// and this one. Reverts `VolatilityUpToDate` when there is no newer round.
    function updateVolatility() external;

    /* ----------------------------------------------------------------------------------------- */
    /*                                      CLAIMS AND FEES                                      */
    /* ----------------------------------------------------------------------------------------- */

    /// @notice Sends the caller its credited balance of `token` (refunds, compensation, bonuses, failed payouts):
    /// `claimable` and every `vesting` bucket that has unlocked.
    /// @dev Reverts `CreditVesting` when only credits still vesting are there, `NothingToClaim` when none are.
    function claim(address token) external;

    /// @notice Anyone may add payment tokens to the insurance fund.
    function fundInsurance(uint256 amount) external;

    /// @notice Anyone: sends all accrued protocol fees (payment tokens) to the fee recipient.
    function withdrawFees() external;

    /// @notice The fee recipient names its successor; `acceptFeeRecipient` makes it effective after
    /// `FEE_RECIPIENT_DELAY`. Proposing again restarts the delay.
    function proposeFeeRecipient(address proposed) external;

    /// @notice Anyone, once the delay has passed: the proposed fee recipient takes over.
    function acceptFeeRecipient() external;

    /* ----------------------------------------------------------------------------------------- */
    /*                                           VIEWS                                           */
    /* ----------------------------------------------------------------------------------------- */

    function DOMAIN_SEPARATOR() external view returns (bytes32);

    function DEAL_TERMS_TYPEHASH() external view returns (bytes32);

    /// @return dealId keccak256("\x19\x01" || DOMAIN_SEPARATOR || hashStruct(terms)).
    function hashDealTerms(DealTerms calldata terms) external view returns (bytes32 dealId);

    function deal(address provider, bytes32 dealId) external view returns (DealState memory);

    function position(address provider) external view returns (Position memory);

    /// @notice WAD; type(uint256).max with no obligations. Counts free and pending collateral, at LT_eff.
    /// @dev Reverts with the oracle error when the price is needed and stale.
    function healthFactor(address provider) external view returns (uint256);

    /// @notice How much more deal `collateral` the provider can back now: CF_eff x value(free collateral) + coverage - obligations.
    function maxDealCollateral(address provider) external view returns (uint256);

    /// @notice Value of the provider's free collateral in payment-token units at the oracle price.
    function collateralValue(address provider) external view returns (uint256);

    /// @notice Oracle answer (collateral priced in payment units, `priceFeed.decimals()` decimals), checked for
    /// freshness; 1 and the current time when the tokens are the same.
    function collateralPrice() external view returns (uint256 price, uint256 updatedAt);

    /// @notice The collateral factor and liquidation threshold in force now, after the volatility cut.
    function effectiveFactors() external view returns (uint256 collateralFactorBps, uint256 liquidationThresholdBps);

    /// @notice The volatility estimate: last feed round taken in, its price, and the per-round variance (WAD).
    function volatility() external view returns (uint80 roundId, uint256 price, uint256 variance);

    function parameters() external view returns (Parameters memory);

    function paymentToken() external view returns (IERC20);

    function collateralToken() external view returns (IERC20);

    function priceFeed() external view returns (IAggregatorV3);

    function arbiter() external view returns (address);

    function feeRecipient() external view returns (address);

    /// @notice The fee recipient proposed and when it may take over (zero when none).
    function pendingFeeRecipient() external view returns (address proposed, uint64 effectiveAt);

    /// @notice Protocol fees (payment tokens) not yet withdrawn.
    function feesAccrued() external view returns (uint256);

    /// @notice Insurance fund held in payment tokens.
    function insuranceFund() external view returns (uint256);

    /// @notice Insurance fund held in collateral tokens (insurance shares taken from seized collateral).
    function insuranceCollateral() external view returns (uint256);

    /// @notice Total compensation (payment units) defaulted clients did not receive: the public insolvency ledger.
    function badDebt() external view returns (uint256);

    /// @notice Credits claimable at once: refunds, insurance payouts, a client's deposited credit, failed payouts.
    /// `claim` also sends the `vesting` buckets that have unlocked.
    function claimable(address token, address account) external view returns (uint256);

    /// @notice The two buckets of credits taken from providers for `account` in `token` (see `Vesting`); one whose
    /// `unlockAt` has passed is claimable.
    function vesting(address token, address account) external view returns (Vesting[2] memory);
}
