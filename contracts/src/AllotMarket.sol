// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {
    IAllotMarket,
    DealTerms,
    DealState,
    DealStatus,
    Parameters,
    MarketConfig,
    Position,
    Vesting
} from "./interfaces/IAllotMarket.sol";
import {IERC20} from "./interfaces/IERC20.sol";
import {IAggregatorV3} from "./interfaces/IAggregatorV3.sol";
import {MathLib} from "./libraries/MathLib.sol";
import {SafeTransferLib} from "./libraries/SafeTransferLib.sol";
import {SignatureLib} from "./libraries/SignatureLib.sol";
import {DealTermsLib} from "./libraries/DealTermsLib.sol";

// Deadlines, windows and price ages are minutes to days long; a validator's few seconds of leeway on
// block.timestamp do not matter at that scale.
// Narrowing casts store amounts whose bounds are checked where they enter: deposits keep collateral plus
// pending withdrawal within 128 bits, deals keep obligations within 120 bits, coverage never exceeds
// obligations, and every other stored amount is a part of one of those. Oracle answers are cast only once
// checked positive.
// forge-lint: disable-start(block-timestamp)
// forge-lint: disable-start(unsafe-typecast)

/// @title AllotMarket
/// @notice Escrow, collateral and liquidation for compute deals. See `IAllotMarket` for the rules.
/// @dev Every rule is an immutable set by the constructor; there is no owner and no setter. Create markets through
/// `AllotMarketFactory` (one per configuration). A deal costs one storage slot (`DealState`, kept under its
/// provider); calls that need the client re-hash the terms from calldata, `commitResult` and `settleMany` take ids.
/// Inside a state-changing function: checks, accounting, storage writes, events, token transfers. The only storage
/// written after a transfer is the `claimable` credit of a transfer that failed.
///
/// Gas: pull, not push. A token transfer to a recipient that already holds the token costs ~13,000 gas (cold
/// token, two balance slots, a log); a credit written into a slot the call writes anyway costs nothing more. So
/// settlement credits the provider's `earnings`, packed beside the obligations it already updates (the fee is taken
/// on withdrawal, so no shared fee slot is written either), and a deal liquidation credits the client and the keeper
/// instead of making up to four transfers. `settleMany` writes the provider's position once for all its deals and
/// emits one event, and reads each deal's price and collateral from the deal's slot, so its calldata is one word a
/// deal. A client's credit pays its next deal, so a client that keeps a balance in the market opens deals without
/// a token transfer at all.
contract AllotMarket is IAllotMarket {
    using MathLib for uint256;
    using SafeTransferLib for IERC20;

    /* ----------------------------------------------------------------------------------------- */
    /*                                         CONSTANTS                                         */
    /* ----------------------------------------------------------------------------------------- */

    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;
    /// @dev Below this health factor a position liquidator may cover all uncovered obligations at once.
    uint256 public constant FULL_LIQUIDATION_HEALTH_FACTOR = 0.95e18;
    uint256 public constant CLOSE_FACTOR_BPS = 5_000;
    /// @dev Seconds between `proposeFeeRecipient` and the proposed recipient taking over.
    uint256 public constant FEE_RECIPIENT_DELAY = 7 days;
    /// @dev Most decimals a token or the feed may have: 18 + 18 + 18 keeps every scale factor far below 2^256
    /// and 10^18 base units per token keeps real supplies within the 120-bit amount fields.
    uint256 public constant MAX_DECIMALS = 18;

    uint256 public constant MIN_COLLATERAL_FACTOR_BPS = 1_000;
    uint256 public constant MAX_COLLATERAL_FACTOR_BPS = 9_500;
    uint256 public constant MAX_LIQUIDATION_THRESHOLD_BPS = 9_900;
    uint256 public constant MAX_LIQUIDATION_BONUS_BPS = 2_000;
    uint256 public constant MAX_KEEPER_BONUS_BPS = 2_000;
    uint256 public constant MAX_INSURANCE_BPS = 5_000;
    uint256 public constant MAX_PROTOCOL_FEE_BPS = 1_000;
    uint256 public constant MAX_DISPUTE_BOND_BPS = 10_000;
    uint256 public constant MIN_CHALLENGE_WINDOW = 1 minutes;
    uint256 public constant MAX_CHALLENGE_WINDOW = 30 days;
    uint256 public constant MIN_UNBONDING_PERIOD = 1 hours;
    uint256 public constant MAX_UNBONDING_PERIOD = 90 days;
    uint256 public constant MIN_MAX_PRICE_AGE = 1 minutes;
    uint256 public constant MAX_MAX_PRICE_AGE = 7 days;
    uint256 public constant MIN_ARBITRATION_WINDOW = 1 hours;
    uint256 public constant MAX_ARBITRATION_WINDOW = 30 days;
    uint256 public constant MIN_DEAL_DURATION = 1 minutes;
    uint256 public constant MAX_DEAL_DURATION = 30 days;
    uint256 public constant MIN_MAX_VOLATILITY_BPS = 10;

    /// @inheritdoc IAllotMarket
    bytes32 public constant DEAL_TERMS_TYPEHASH = DealTermsLib.TYPEHASH;

    /* ----------------------------------------------------------------------------------------- */
    /*                                         IMMUTABLES                                        */
    /* ----------------------------------------------------------------------------------------- */

    /// @inheritdoc IAllotMarket
    IERC20 public immutable paymentToken;
    /// @inheritdoc IAllotMarket
    IERC20 public immutable collateralToken;
    /// @inheritdoc IAllotMarket
    IAggregatorV3 public immutable priceFeed;
    /// @inheritdoc IAllotMarket
    address public immutable arbiter;

    /// @dev With one token there is no oracle: collateral is worth its amount.
    bool internal immutable SAME_TOKEN;
    /// @dev value = amount x answer x PRICE_SCALE_NUM / PRICE_SCALE_DEN, folding the three decimals together.
    uint256 internal immutable PRICE_SCALE_NUM;
    uint256 internal immutable PRICE_SCALE_DEN;

    uint256 internal immutable INITIAL_CHAIN_ID;
    bytes32 internal immutable INITIAL_DOMAIN_SEPARATOR;

    /// @dev A contract whose code is `abi.encode(parameters)`, which `parameters()` copies out: fifteen immutables
    /// packed into a struct would cost the market ~650 bytes of code it does not have (EIP-170). Its first byte is
    /// zero (STOP), so calling it does nothing.
    address internal immutable PARAMETERS_DATA;
    uint256 internal immutable CF_BPS;
    uint256 internal immutable LT_BPS;
    uint256 internal immutable LIQUIDATION_BONUS_BPS;
    uint256 internal immutable KEEPER_BONUS_BPS;
    uint256 internal immutable INSURANCE_BPS;
    uint256 internal immutable PROTOCOL_FEE_BPS;
    uint256 internal immutable DISPUTE_BOND_BPS;
    uint256 internal immutable CHALLENGE_WINDOW;
    uint256 internal immutable UNBONDING_PERIOD;
    uint256 internal immutable MAX_PRICE_AGE;
    uint256 internal immutable ARBITRATION_WINDOW;
    uint256 internal immutable MIN_DURATION;
    /// @dev Zero when volatility is not tracked (also for one-token markets, which have no price).
    uint256 internal immutable VOLATILITY_WEIGHT_BPS;
    uint256 internal immutable MAX_VOLATILITY_BPS;
    /// @dev CF - minimum CF: the largest volatility cut.
    uint256 internal immutable MAX_CUT_BPS;
    /// @dev Per-round variance (WAD) at which the cut is complete: (maxVolatilityBps / BPS)^2.
    uint256 internal immutable FULL_CUT_VARIANCE;

    /* ----------------------------------------------------------------------------------------- */
    /*                                          STORAGE                                          */
    /* ----------------------------------------------------------------------------------------- */

    /// @dev Balances that settlement and deal liquidation add to, one slot.
    struct Totals {
        uint128 feesAccrued;
        uint128 insuranceCollateral;
    }

    Totals internal _totals;

    /// @inheritdoc IAllotMarket
    uint256 public insuranceFund;
    /// @inheritdoc IAllotMarket
    uint256 public badDebt;

    /// @inheritdoc IAllotMarket
    address public feeRecipient;

    struct FeeRecipientProposal {
        address proposed;
        uint64 effectiveAt;
    }

    FeeRecipientProposal internal _proposal;

    /// @dev The volatility estimate, one slot.
    struct VolatilityState {
        uint80 roundId;
        uint64 variance;
        uint112 price;
    }

    VolatilityState internal _volatility;

    /// @dev Keyed by provider first: `commitResult(dealId)` finds only the caller's own deals, and `settleMany`
    /// credits the provider it is given only for deals that are that provider's.
    mapping(address provider => mapping(bytes32 dealId => DealState)) internal _deals;
    /// @dev Storage form of `Position`. Slot 0 holds all that settling a deal touches in the common case
    /// (obligations released, price credited), and stays non-zero while the provider has earnings or obligations:
    /// re-filling a zeroed slot costs 20,000 gas.
    struct PositionData {
        uint120 obligations;
        /// @dev coverage != 0. Lets settlement skip reading slot 1 when there is no coverage to release.
        bool covered;
        /// @dev Settled prices not yet withdrawn, before the fee. Below the token's supply (< 2^120 by the token
        /// rules), so it never overflows.
        uint128 earnings;
        uint128 collateral;
        uint128 coverage;
        uint128 pendingWithdrawal;
        uint64 withdrawableAt;
    }

    mapping(address provider => PositionData) internal _positions;

    /// @dev Close factor per block: how much coverage position liquidators may still add to a provider in
    /// `block`, fixed by the block's first liquidation.
    struct CloseFactorState {
        uint64 blockNumber;
        uint192 left;
    }

    mapping(address provider => CloseFactorState) internal _closeFactor;

    /// @inheritdoc IAllotMarket
    mapping(address token => mapping(address account => uint256)) public claimable;

    /// @dev Bucket `window & 1` holds the credits of unbonding window `window` (see `Vesting`).
    mapping(address token => mapping(address account => Vesting[2])) internal _vesting;

    bool transient internal _locked;

    /* ----------------------------------------------------------------------------------------- */
    /*                                         MODIFIERS                                         */
    /* ----------------------------------------------------------------------------------------- */

    modifier nonReentrant() {
        if (_locked) revert Reentrancy();
        _locked = true;
        _;
        _locked = false;
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                        CONSTRUCTOR                                        */
    /* ----------------------------------------------------------------------------------------- */

    constructor(MarketConfig memory config) {
        if (address(config.paymentToken).code.length == 0) revert NotAContract(address(config.paymentToken));
        if (address(config.collateralToken).code.length == 0) revert NotAContract(address(config.collateralToken));
        if (config.arbiter == address(0) || config.feeRecipient == address(0)) revert ZeroAddress();
        bool same = address(config.paymentToken) == address(config.collateralToken);
        if (same != (address(config.priceFeed) == address(0))) revert InvalidPriceFeed(address(config.priceFeed));
        Parameters memory p = config.params;
        _validate(p);

        uint256 num = 1;
        uint256 den = 1;
        uint256 paymentDecimals = _decimals(address(config.paymentToken));
        if (!same) {
            if (address(config.priceFeed).code.length == 0) revert NotAContract(address(config.priceFeed));
            // value = amount / 10^cd x answer / 10^fd x 10^pd
            uint256 down = _decimals(address(config.collateralToken)) + _decimals(address(config.priceFeed));
            if (paymentDecimals >= down) num = 10 ** (paymentDecimals - down);
            else den = 10 ** (down - paymentDecimals);
        }

        paymentToken = config.paymentToken;
        collateralToken = config.collateralToken;
        priceFeed = config.priceFeed;
        arbiter = config.arbiter;
        SAME_TOKEN = same;
        PRICE_SCALE_NUM = num;
        PRICE_SCALE_DEN = den;
        INITIAL_CHAIN_ID = block.chainid;
        INITIAL_DOMAIN_SEPARATOR = DealTermsLib.domainSeparator(address(this));

        CF_BPS = p.collateralFactorBps;
        LT_BPS = p.liquidationThresholdBps;
        LIQUIDATION_BONUS_BPS = p.liquidationBonusBps;
        KEEPER_BONUS_BPS = p.keeperBonusBps;
        INSURANCE_BPS = p.insuranceBps;
        PROTOCOL_FEE_BPS = p.protocolFeeBps;
        DISPUTE_BOND_BPS = p.disputeBondBps;
        CHALLENGE_WINDOW = p.challengeWindow;
        UNBONDING_PERIOD = p.unbondingPeriod;
        MAX_PRICE_AGE = p.maxPriceAge;
        ARBITRATION_WINDOW = p.arbitrationWindow;
        MIN_DURATION = p.minDealDuration;
        VOLATILITY_WEIGHT_BPS = same ? 0 : p.volatilityWeightBps;
        MAX_VOLATILITY_BPS = p.maxVolatilityBps;
        MAX_CUT_BPS = uint256(p.collateralFactorBps) - p.minCollateralFactorBps;
        FULL_CUT_VARIANCE = uint256(p.maxVolatilityBps) * p.maxVolatilityBps * 1e10;

        feeRecipient = config.feeRecipient;
        PARAMETERS_DATA = _storeParameters(p);

        emit MarketConfigured(config);
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                         COLLATERAL                                        */
    /* ----------------------------------------------------------------------------------------- */

    /// @inheritdoc IAllotMarket
    function depositCollateral(uint256 amount) external nonReentrant {
        _deposit(msg.sender, amount);
    }

    /// @inheritdoc IAllotMarket
    function depositCollateralFor(address provider, uint256 amount) external nonReentrant {
        if (provider == address(0)) revert ZeroAddress();
        _deposit(provider, amount);
    }

    /// @inheritdoc IAllotMarket
    function requestWithdrawal(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        PositionData storage pos = _positions[msg.sender];
        uint256 collateral = pos.collateral;
        if (amount > collateral) revert WithdrawalExceedsCollateral(amount, collateral);

        uint256 collateralAfter = collateral - amount;
        _requireBacked(pos.obligations, pos.coverage, collateralAfter);
        uint256 pending = pos.pendingWithdrawal + amount;
        uint64 withdrawableAt = uint64(block.timestamp + UNBONDING_PERIOD);

        pos.collateral = uint128(collateralAfter);
        pos.pendingWithdrawal = uint128(pending);
        pos.withdrawableAt = withdrawableAt;

        emit WithdrawalRequested(msg.sender, amount, pending, withdrawableAt);
    }

    /// @inheritdoc IAllotMarket
    function cancelWithdrawal() external nonReentrant {
        PositionData storage pos = _positions[msg.sender];
        uint256 pending = pos.pendingWithdrawal;
        if (pending == 0) revert NoPendingWithdrawal();

        pos.collateral += uint128(pending);
        pos.pendingWithdrawal = 0;
        pos.withdrawableAt = 0;

        emit WithdrawalCancelled(msg.sender, pending);
    }

    /// @inheritdoc IAllotMarket
    function withdraw() external nonReentrant {
        PositionData storage pos = _positions[msg.sender];
        uint256 pending = pos.pendingWithdrawal;
        if (pending == 0) revert NoPendingWithdrawal();
        uint64 withdrawableAt = pos.withdrawableAt;
        if (block.timestamp < withdrawableAt) revert WithdrawalLocked(withdrawableAt);
        // Liquidations may have eaten into the free collateral since the request.
        _requireBacked(pos.obligations, pos.coverage, pos.collateral);

        pos.pendingWithdrawal = 0;
        pos.withdrawableAt = 0;

        emit Withdrawn(msg.sender, pending);

        _push(collateralToken, msg.sender, pending);
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                           DEALS                                           */
    /* ----------------------------------------------------------------------------------------- */

    /// @inheritdoc IAllotMarket
    /// @dev Locked only around the pull: a deal paid from credit makes no external call but staticcalls (feed,
    /// EIP-1271), and the entry check keeps it from running inside another function's transfer.
    function openDeal(DealTerms calldata terms, bytes calldata providerSignature) external returns (bytes32 dealId) {
        if (_locked) revert Reentrancy();
        dealId = DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
        if (msg.sender != terms.client) revert NotClient(msg.sender);
        if (terms.client == terms.provider) revert SelfDeal(msg.sender);
        if (block.timestamp > terms.expiry) revert OfferExpired(terms.expiry);
        if (block.timestamp >= terms.deadline) revert DeadlinePassed(terms.deadline);
        if (terms.deadline < block.timestamp + MIN_DURATION) {
            revert DealTooShort(terms.deadline, block.timestamp + MIN_DURATION);
        }
        uint256 price = terms.price;
        uint256 collateral = terms.collateral;
        if (price == 0) revert ZeroDealPrice();
        if (price > type(uint104).max) revert AmountOverflow(price);
        if (collateral > type(uint104).max) revert AmountOverflow(collateral);
        DealState storage d = _deals[terms.provider][dealId];
        if (d.status != DealStatus.None) revert DealAlreadyExists(dealId);
        SignatureLib.verify(terms.provider, dealId, providerSignature);

        PositionData storage pos = _positions[terms.provider];
        uint256 obligations = uint256(pos.obligations) + collateral;
        if (obligations > type(uint120).max) revert AmountOverflow(obligations);
        // A stale price stops new deals even when coverage alone would back them.
        uint256 backing = _valueDown(pos.collateral, _price()).bpsDown(CF_BPS - _cutBps());
        if (obligations > backing) {
            backing += pos.covered ? pos.coverage : 0;
            if (obligations > backing) revert InsufficientCollateral(obligations, backing);
        }

        pos.obligations = uint120(obligations);
        // A deadline past 2^40 seconds (year 36812) is stored as that: no deal lasts so long either way.
        uint256 deadline = uint256(terms.deadline).min(type(uint40).max);
        _storeDeal(d, DealStatus.Open, deadline, price, collateral);
        bool fromCredit = _spendCredit(msg.sender, price);

        emit DealOpened(dealId, terms.provider, terms);

        if (!fromCredit) {
            _locked = true;
            _pull(paymentToken, msg.sender, price);
            _locked = false;
        }
    }

    /// @inheritdoc IAllotMarket
    function commitResult(bytes32 dealId, bytes32 resultHash) external {
        DealState storage d = _deals[msg.sender][dealId];
        uint256 word = _loadDeal(d);
        DealStatus status = DealStatus(uint8(word));
        if (status != DealStatus.Open) _revertStatus(dealId, status, DealNotOpen.selector);
        uint256 deadline = uint40(word >> 8);
        if (block.timestamp >= deadline) revert DeadlinePassed(uint64(deadline));

        // Status and time change, price and collateral stay: [collateral | price | time | status].
        word = (word & ~uint256(type(uint48).max)) | (block.timestamp << 8) | uint8(DealStatus.Committed);
        assembly ("memory-safe") {
            sstore(d.slot, word)
        }

        emit ResultCommitted(dealId, resultHash);
    }

    /// @inheritdoc IAllotMarket
    /// @dev No `nonReentrant` here, in `settleMany` or in `liquidateDeal`: they make no external call but the
    /// price feed's staticcall (they credit instead of transferring), so nothing can re-enter them, and a call into
    /// them from another function's transfer finds that function's effects already written.
    function settle(DealTerms calldata terms) external {
        bytes32 dealId = DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
        address provider = terms.provider;
        uint256 price = terms.price;
        DealState storage d = _deals[provider][dealId];
        uint256 word = _loadDeal(d);
        DealStatus status = DealStatus(uint8(word));
        if (status != DealStatus.Committed) _revertStatus(dealId, status, DealNotCommitted.selector);
        if (msg.sender != terms.client) {
            uint256 endsAt = uint256(uint40(word >> 8)) + CHALLENGE_WINDOW;
            if (block.timestamp < endsAt) revert ChallengeWindowOpen(endsAt);
        }

        _releaseObligation(provider, terms.collateral, price);
        word = (word & ~uint256(0xff)) | uint8(DealStatus.Settled);
        assembly ("memory-safe") {
            sstore(d.slot, word)
        }

        uint256 fee = price.bpsDown(PROTOCOL_FEE_BPS);
        emit DealSettled(dealId, provider, price - fee, fee);
    }

    /// @inheritdoc IAllotMarket
    function settleMany(address provider, bytes32[] calldata dealIds) external {
        mapping(bytes32 => DealState) storage deals = _deals[provider];
        uint256 challengeWindow = CHALLENGE_WINDOW;
        uint256 n = dealIds.length;
        bytes32[] memory settled = new bytes32[](n);
        uint256 count;
        uint256 total;
        uint256 obligationReleased;

        for (uint256 i; i < n; ++i) {
            bytes32 dealId = dealIds[i];
            DealState storage d = deals[dealId];
            uint256 word = _loadDeal(d);
            if (uint8(word) != uint8(DealStatus.Committed) || block.timestamp < uint256(uint40(word >> 8)) + challengeWindow) {
                continue;
            }

            word = (word & ~uint256(0xff)) | uint8(DealStatus.Settled);
            assembly ("memory-safe") {
                sstore(d.slot, word)
            }
            // Below 2^104 each and fewer than 2^64 of them: the sums cannot overflow.
            unchecked {
                total += uint104(word >> 48);
                obligationReleased += word >> 152;
                ++count;
            }
            assembly ("memory-safe") {
                mstore(add(settled, shl(5, count)), dealId)
            }
        }
        if (count == 0) return;
        assembly ("memory-safe") {
            mstore(settled, count)
        }
        _releaseObligation(provider, obligationReleased, total);

        emit DealsSettled(provider, settled, total);
    }

    /// @inheritdoc IAllotMarket
    function withdrawEarnings() external nonReentrant {
        PositionData storage pos = _positions[msg.sender];
        uint256 earnings = pos.earnings;
        if (earnings == 0) revert NoEarnings(msg.sender);
        uint256 fee = earnings.bpsDown(PROTOCOL_FEE_BPS);

        pos.earnings = 0;
        if (fee != 0) _totals.feesAccrued = _toUint128(_totals.feesAccrued + fee);

        emit EarningsWithdrawn(msg.sender, earnings - fee, fee);

        _push(paymentToken, msg.sender, earnings - fee);
    }

    /// @inheritdoc IAllotMarket
    function depositPayment(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();

        claimable[address(paymentToken)][msg.sender] += amount;

        emit PaymentDeposited(msg.sender, amount);

        _pull(paymentToken, msg.sender, amount);
    }

    /// @inheritdoc IAllotMarket
    function dispute(DealTerms calldata terms) external nonReentrant {
        bytes32 dealId = DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
        DealState storage d = _deals[terms.provider][dealId];
        DealStatus status = d.status;
        if (status != DealStatus.Committed) _revertStatus(dealId, status, DealNotCommitted.selector);
        if (msg.sender != terms.client) revert NotClient(msg.sender);
        uint256 endsAt = uint256(d.time) + CHALLENGE_WINDOW;
        if (block.timestamp >= endsAt) revert ChallengeWindowClosed(endsAt);

        // The bond is a fixed share of the price, so it is not stored: resolving recomputes it.
        uint256 bond = _bond(terms.price);

        // From here on `time` dates the dispute: the arbitration window runs from it.
        _deals[terms.provider][dealId] =
            DealState(DealStatus.Disputed, uint40(block.timestamp), uint104(terms.price), uint104(terms.collateral));

        emit DealDisputed(dealId, msg.sender, bond);

        if (bond != 0) _pull(paymentToken, msg.sender, bond);
    }

    /// @inheritdoc IAllotMarket
    function resolveDispute(DealTerms calldata terms, bool providerAtFault) external nonReentrant {
        if (msg.sender != arbiter) revert NotArbiter(msg.sender);
        bytes32 dealId = DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
        DealState storage d = _deals[terms.provider][dealId];
        DealStatus status = d.status;
        if (status != DealStatus.Disputed) _revertStatus(dealId, status, DealNotDisputed.selector);
        uint256 endsAt = uint256(d.time) + ARBITRATION_WINDOW;
        if (block.timestamp >= endsAt) revert ArbitrationWindowClosed(endsAt);
        uint256 bond = _bond(terms.price);

        if (providerAtFault) {
            d.status = DealStatus.Defaulted;

            emit DisputeResolved(dealId, true, bond);

            _payOrCredit(paymentToken, terms.client, bond);
        } else {
            _releaseObligation(terms.provider, terms.collateral, terms.price);
            d.status = DealStatus.Settled;

            uint256 fee = uint256(terms.price).bpsDown(PROTOCOL_FEE_BPS);
            emit DisputeResolved(dealId, false, bond);
            emit DealSettled(dealId, terms.provider, terms.price - fee, fee);

            _payOrCredit(paymentToken, terms.provider, bond);
        }
    }

    /// @inheritdoc IAllotMarket
    function closeExpiredDispute(DealTerms calldata terms) external nonReentrant {
        bytes32 dealId = DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
        DealState storage d = _deals[terms.provider][dealId];
        DealStatus status = d.status;
        if (status != DealStatus.Disputed) _revertStatus(dealId, status, DealNotDisputed.selector);
        uint256 endsAt = uint256(d.time) + ARBITRATION_WINDOW;
        if (block.timestamp < endsAt) revert ArbitrationWindowOpen(endsAt);
        uint256 bond = _bond(terms.price);

        _releaseObligation(terms.provider, terms.collateral, 0);
        d.status = DealStatus.DisputeExpired;

        emit DisputeExpired(dealId, terms.client, terms.price, bond);

        _payOrCredit(paymentToken, terms.client, terms.price + bond);
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                        LIQUIDATION                                        */
    /* ----------------------------------------------------------------------------------------- */

    /// @dev What one source (a provider, or the insurance fund) can pay: payment tokens first, then collateral
    /// tokens (`free`, then `pending`) valued at `price` when `priced`.
    struct Source {
        uint256 payment;
        uint256 free;
        uint256 pending;
        uint256 price;
        bool priced;
    }

    /// @dev Amounts moved by one `liquidateDeal` call; `...Payment` in payment tokens, `...Collateral` in
    /// collateral tokens, the rest in payment-unit value.
    struct Outcome {
        uint256 refund;
        uint256 owed;
        /// @dev What the provider pays the client: vests.
        uint256 clientPayment;
        uint256 clientCollateral;
        uint256 keeperPayment;
        uint256 keeperCollateral;
        uint256 sharePayment;
        uint256 shareCollateral;
        uint256 fromInsurancePayment;
        uint256 fromInsuranceCollateral;
        uint256 compensation;
        uint256 keeperBonus;
        uint256 insuranceShare;
        uint256 remaining;
        /// @dev The provider's position slot 0 before the call: [earnings 128 | covered 8 | obligations 120].
        uint256 position0;
        bool deferred;
        bool pendingRead;
    }

    /// @inheritdoc IAllotMarket
    function liquidateDeal(DealTerms calldata terms) external {
        bytes32 dealId = DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
        DealState storage d = _deals[terms.provider][dealId];
        Outcome memory o;
        uint256 word = _loadDeal(d);
        DealStatus status = DealStatus(uint8(word));
        if (status == DealStatus.Open) {
            if (block.timestamp < terms.deadline) revert DeadlineNotReached(terms.deadline);
            (o.owed, o.refund) = (terms.collateral, terms.price);
        } else if (status == DealStatus.Defaulted) {
            (o.owed, o.refund) = (terms.collateral, terms.price);
        } else if (status == DealStatus.Liquidating) {
            o.owed = word >> 152;
        } else {
            _revertStatus(dealId, status, DealNotLiquidatable.selector);
        }

        PositionData storage pos = _positions[terms.provider];
        Source memory provider = _compensate(o, pos);
        if (o.refund == 0 && o.compensation == 0 && o.deferred) {
            // Nothing could move without the price: surface the oracle's own error.
            _price();
        }

        // Slots 0 and 1 in one write each: [earnings | covered | obligations] and [coverage 128 | collateral 128].
        // `provider.payment` is the coverage left (zero when there was none).
        uint256 obligations = (o.position0 & type(uint120).max) - (o.deferred ? o.compensation : o.owed);
        uint256 position0 = (o.position0 >> 128 << 128) | (provider.payment == 0 ? 0 : 1 << 120) | obligations;
        uint256 position1 = (provider.payment << 128) | provider.free;
        assembly ("memory-safe") {
            sstore(pos.slot, position0)
            sstore(add(pos.slot, 1), position1)
        }
        if (o.pendingRead) pos.pendingWithdrawal = uint128(provider.pending);
        if (o.fromInsurancePayment != 0 || o.sharePayment != 0) {
            insuranceFund = insuranceFund - o.fromInsurancePayment + o.sharePayment;
        }
        if (o.fromInsuranceCollateral != 0 || o.shareCollateral != 0) {
            _totals.insuranceCollateral =
                _toUint128(_totals.insuranceCollateral - o.fromInsuranceCollateral + o.shareCollateral);
        }
        if (!o.deferred && o.remaining != 0) badDebt += o.remaining;
        if (o.deferred) {
            _storeDeal(d, DealStatus.Liquidating, uint40(word >> 8), terms.price, o.remaining);
        } else {
            word = (word & ~uint256(0xff)) | uint8(DealStatus.Liquidated);
            assembly ("memory-safe") {
                sstore(d.slot, word)
            }
        }
        // Credits, not transfers (pull over push): the client and the keeper withdraw with `claim`. What came
        // from the provider vests, so that it leaves no faster than a withdrawal would.
        uint256 vestedUntil = _vestingEnd();
        _credit(terms.client, o.refund + o.fromInsurancePayment, o.fromInsuranceCollateral);
        _vest(terms.client, o.clientPayment, o.clientCollateral, vestedUntil);
        _vest(msg.sender, o.keeperPayment, o.keeperCollateral, vestedUntil);

        emit DealLiquidated(
            dealId,
            msg.sender,
            o.refund,
            o.compensation,
            o.keeperBonus,
            o.insuranceShare,
            o.deferred ? o.remaining : 0,
            uint64(vestedUntil)
        );
        if (o.fromInsurancePayment != 0 || o.fromInsuranceCollateral != 0) {
            emit InsuranceUsed(dealId, o.fromInsurancePayment, o.fromInsuranceCollateral);
        }
        if (!o.deferred && o.remaining != 0) emit CompensationShortfall(dealId, terms.client, o.remaining);
    }

    /// @dev Fills `o` for compensation `o.owed`: the provider pays first (coverage, free collateral, pending
    /// withdrawal), then the keeper bonus and insurance share on what it paid, then the insurance fund tops up
    /// the client. A collateral-token source is skipped without a fresh price; if it held anything, the rest
    /// is deferred. Returns what the provider has left.
    function _compensate(Outcome memory o, PositionData storage pos) internal view returns (Source memory provider) {
        provider = _providerSource(o, pos);

        uint256 paidByProvider;
        (o.clientPayment, o.clientCollateral, paidByProvider) = _take(provider, o.owed);
        o.remaining = o.owed - paidByProvider;
        o.deferred = o.remaining != 0 && provider.free + provider.pending != 0;

        // The bonuses come after every client: only from what the provider has above the obligations it keeps
        // (its other deals, and this one's deferred rest).
        uint256 kept = (o.position0 & type(uint120).max) - o.owed + (o.deferred ? o.remaining : 0);
        uint256 equity = provider.payment;
        if (provider.priced) equity += _valueDown(provider.free + provider.pending, provider.price);
        equity = equity.zeroFloorSub(kept);
        uint256 keeperWant = paidByProvider.bpsDown(KEEPER_BONUS_BPS).min(equity);
        uint256 shareWant = paidByProvider.bpsDown(INSURANCE_BPS).min(equity - keeperWant);
        (o.keeperPayment, o.keeperCollateral, o.keeperBonus) = _take(provider, keeperWant);
        (o.sharePayment, o.shareCollateral, o.insuranceShare) = _take(provider, shareWant);

        if (o.remaining != 0 && !o.deferred) {
            Source memory fund = Source(insuranceFund, _totals.insuranceCollateral, 0, provider.price, provider.priced);
            uint256 fromFund;
            (o.fromInsurancePayment, o.fromInsuranceCollateral, fromFund) = _take(fund, o.remaining);
            o.remaining -= fromFund;
            o.deferred = o.remaining != 0 && fund.free != 0;
        }
        o.compensation = o.owed - o.remaining;
    }

    /// @dev The provider as a source of compensation. Its pending withdrawal shares a slot with coverage and is
    /// read only when coverage and free collateral may not cover everything this call can take.
    function _providerSource(Outcome memory o, PositionData storage pos) internal view returns (Source memory s) {
        (uint256 price, bool priced) = _tryPrice();
        uint256 position0;
        assembly ("memory-safe") {
            position0 := sload(pos.slot)
        }
        o.position0 = position0;
        s = Source((position0 >> 120) & 0xff != 0 ? pos.coverage : 0, pos.collateral, 0, price, priced);
        uint256 most = o.owed.bpsUp(BPS + KEEPER_BONUS_BPS + INSURANCE_BPS);
        if (!priced || s.payment + _valueDown(s.free, price) < most) {
            s.pending = pos.pendingWithdrawal;
            o.pendingRead = true;
        }
    }

    /// @inheritdoc IAllotMarket
    function liquidatePosition(address provider, uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();
        uint256 price = _price();
        PositionData storage pos = _positions[provider];
        uint256 obligations = pos.obligations;
        uint256 coverage = pos.coverage;
        uint256 free = pos.collateral;
        uint256 pending = pos.pendingWithdrawal;
        uint256 available = free + pending;

        uint256 hf = _healthFactor(obligations, coverage, available, price);
        if (hf >= WAD) revert PositionHealthy(hf);
        amount = amount.min(_closeFactorLeft(provider, obligations - coverage, hf));
        if (amount == 0) revert CloseFactorUsed(provider);

        uint256 seized;
        (amount, seized) = _seize(amount, available, coverage, obligations, price);
        if (seized == 0 || amount == 0) revert NoCollateralToSeize(provider);
        uint256 fromFree = seized.min(free);

        _closeFactor[provider].left -= uint192(amount);
        _setCoverage(pos, coverage + amount);
        pos.collateral = uint128(free - fromFree);
        pos.pendingWithdrawal = uint128(pending - (seized - fromFree));

        emit PositionLiquidated(provider, msg.sender, amount, seized);

        _pull(paymentToken, msg.sender, amount);
        _push(collateralToken, msg.sender, seized);
    }

    /// @dev Collateral a position liquidator receives for `amount`. The bonus comes out of the provider's equity
    /// only, so what backs the clients never shrinks; without enough collateral the liquidator buys all of it at par.
    function _seize(uint256 amount, uint256 available, uint256 coverage, uint256 obligations, uint256 price)
        internal
        view
        returns (uint256, uint256 seized)
    {
        uint256 value = _valueDown(available, price);
        uint256 bonus = amount.bpsDown(LIQUIDATION_BONUS_BPS).min((value + coverage).zeroFloorSub(obligations));
        seized = _toCollateralDown(amount + bonus, price);
        if (seized > available) {
            seized = available;
            amount = amount.min(value);
        }
        return (amount, seized);
    }

    /// @dev What position liquidators may still cover for `provider` in this block: the close factor is taken
    /// of the uncovered obligations at the block's first liquidation, so chained calls cannot exceed it.
    function _closeFactorLeft(address provider, uint256 uncovered, uint256 hf) internal returns (uint256) {
        CloseFactorState storage cf = _closeFactor[provider];
        if (cf.blockNumber != block.number) {
            uint256 allowed = hf < FULL_LIQUIDATION_HEALTH_FACTOR ? uncovered : uncovered.bpsDown(CLOSE_FACTOR_BPS);
            cf.blockNumber = uint64(block.number);
            cf.left = uint192(allowed);
            return allowed;
        }
        return cf.left;
    }

    /// @inheritdoc IAllotMarket
    function updateVolatility() external {
        if (VOLATILITY_WEIGHT_BPS == 0) revert VolatilityUpToDate(0);
        (uint80 roundId, int256 answer,, uint256 updatedAt,) = priceFeed.latestRoundData();
        uint256 price = _checkAnswer(answer, updatedAt);
        if (price > type(uint112).max) revert InvalidPrice(answer);
        VolatilityState memory v = _volatility;
        if (roundId <= v.roundId) revert VolatilityUpToDate(v.roundId);

        uint256 variance = v.variance;
        if (v.price != 0) {
            uint256 previous = v.price;
            uint256 move = price > previous ? price - previous : previous - price;
            // A move of 100% or more counts as 100%: the estimate stays within 64 bits.
            uint256 r = move.mulDivDown(WAD, previous).min(WAD);
            variance = (variance * (BPS - VOLATILITY_WEIGHT_BPS) + (r * r / WAD) * VOLATILITY_WEIGHT_BPS) / BPS;
        }
        _volatility = VolatilityState(roundId, uint64(variance), uint112(price));

        emit VolatilityUpdated(roundId, price, variance, _cut(variance));
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                      CLAIMS AND ADMIN                                     */
    /* ----------------------------------------------------------------------------------------- */

    /// @inheritdoc IAllotMarket
    function claim(address token) external nonReentrant {
        uint256 amount = claimable[token][msg.sender];
        Vesting[2] storage buckets = _vesting[token][msg.sender];
        // The bucket still vesting that unlocks first, as a word: [unlockAt 64 | amount 128].
        uint256 waiting;
        for (uint256 i; i < 2; ++i) {
            uint256 word;
            assembly ("memory-safe") {
                word := sload(add(buckets.slot, i))
            }
            if (word >> 128 <= block.timestamp) {
                // Unlocked, or empty (unlockAt 0).
                if (word != 0) {
                    amount += uint128(word);
                    delete buckets[i];
                }
            } else if (waiting == 0 || word < waiting) {
                waiting = word;
            }
        }
        if (amount == 0) {
            if (waiting != 0) revert CreditVesting(token, msg.sender, uint128(waiting), uint64(waiting >> 128));
            revert NothingToClaim(token, msg.sender);
        }

        claimable[token][msg.sender] = 0;

        emit Claimed(token, msg.sender, amount);

        _push(IERC20(token), msg.sender, amount);
    }

    /// @inheritdoc IAllotMarket
    function fundInsurance(uint256 amount) external nonReentrant {
        if (amount == 0) revert ZeroAmount();

        insuranceFund += amount;

        emit InsuranceFunded(msg.sender, amount);

        _pull(paymentToken, msg.sender, amount);
    }

    /// @inheritdoc IAllotMarket
    function withdrawFees() external nonReentrant {
        uint256 amount = _totals.feesAccrued;
        if (amount == 0) revert NoFeesAccrued();
        address to = feeRecipient;

        _totals.feesAccrued = 0;

        emit FeesWithdrawn(to, amount);

        _payOrCredit(paymentToken, to, amount);
    }

    /// @inheritdoc IAllotMarket
    function proposeFeeRecipient(address proposed) external {
        if (msg.sender != feeRecipient) revert NotFeeRecipient(msg.sender);
        if (proposed == address(0)) revert ZeroAddress();
        uint64 effectiveAt = uint64(block.timestamp + FEE_RECIPIENT_DELAY);

        _proposal = FeeRecipientProposal(proposed, effectiveAt);

        emit FeeRecipientProposed(msg.sender, proposed, effectiveAt);
    }

    /// @inheritdoc IAllotMarket
    function acceptFeeRecipient() external {
        FeeRecipientProposal memory proposal = _proposal;
        if (proposal.proposed == address(0)) revert NoFeeRecipientProposed();
        if (block.timestamp < proposal.effectiveAt) revert FeeRecipientDelayNotPassed(proposal.effectiveAt);

        address previous = feeRecipient;
        feeRecipient = proposal.proposed;
        delete _proposal;

        emit FeeRecipientChanged(previous, proposal.proposed);
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                           VIEWS                                           */
    /* ----------------------------------------------------------------------------------------- */

    /// @inheritdoc IAllotMarket
    function DOMAIN_SEPARATOR() public view returns (bytes32) {
        return block.chainid == INITIAL_CHAIN_ID ? INITIAL_DOMAIN_SEPARATOR : DealTermsLib.domainSeparator(address(this));
    }

    /// @inheritdoc IAllotMarket
    function hashDealTerms(DealTerms calldata terms) external view returns (bytes32) {
        return DealTermsLib.digest(DOMAIN_SEPARATOR(), terms);
    }

    /// @inheritdoc IAllotMarket
    function deal(address provider, bytes32 dealId) external view returns (DealState memory) {
        return _deals[provider][dealId];
    }

    /// @inheritdoc IAllotMarket
    function position(address provider) external view returns (Position memory) {
        PositionData storage pos = _positions[provider];
        return Position({
            earnings: pos.earnings,
            obligations: pos.obligations,
            coverage: pos.coverage,
            collateral: pos.collateral,
            pendingWithdrawal: pos.pendingWithdrawal,
            withdrawableAt: pos.withdrawableAt
        });
    }

    /// @inheritdoc IAllotMarket
    function healthFactor(address provider) external view returns (uint256) {
        PositionData storage pos = _positions[provider];
        uint256 obligations = pos.obligations;
        if (obligations == 0) return type(uint256).max;
        return _healthFactor(obligations, pos.coverage, uint256(pos.collateral) + pos.pendingWithdrawal, _price());
    }

    /// @inheritdoc IAllotMarket
    function maxDealCollateral(address provider) external view returns (uint256) {
        PositionData storage pos = _positions[provider];
        uint256 backing = uint256(pos.coverage) + _valueDown(pos.collateral, _price()).bpsDown(CF_BPS - _cutBps());
        return backing.zeroFloorSub(pos.obligations);
    }

    /// @inheritdoc IAllotMarket
    function collateralValue(address provider) external view returns (uint256) {
        return _valueDown(_positions[provider].collateral, _price());
    }

    /// @inheritdoc IAllotMarket
    function collateralPrice() external view returns (uint256 price, uint256 updatedAt) {
        if (SAME_TOKEN) return (1, block.timestamp);
        (price, updatedAt) = _readPrice();
    }

    /// @inheritdoc IAllotMarket
    function effectiveFactors() external view returns (uint256, uint256) {
        uint256 cut = _cutBps();
        return (CF_BPS - cut, LT_BPS - cut);
    }

    /// @inheritdoc IAllotMarket
    function volatility() external view returns (uint80, uint256, uint256) {
        VolatilityState memory v = _volatility;
        return (v.roundId, v.price, v.variance);
    }

    /// @inheritdoc IAllotMarket
    function parameters() external view returns (Parameters memory) {
        address data = PARAMETERS_DATA;
        assembly ("memory-safe") {
            extcodecopy(data, 0, 0, 480)
            return(0, 480)
        }
    }

    /// @inheritdoc IAllotMarket
    function pendingFeeRecipient() external view returns (address, uint64) {
        return (_proposal.proposed, _proposal.effectiveAt);
    }

    /// @inheritdoc IAllotMarket
    function feesAccrued() external view returns (uint256) {
        return _totals.feesAccrued;
    }

    /// @inheritdoc IAllotMarket
    function insuranceCollateral() external view returns (uint256) {
        return _totals.insuranceCollateral;
    }

    /// @inheritdoc IAllotMarket
    function vesting(address token, address account) external view returns (Vesting[2] memory) {
        Vesting[2] storage buckets = _vesting[token][account];
        // Each bucket word is [unlockAt 64 | amount 128]; the answer is four words (amount, unlockAt) x 2.
        assembly ("memory-safe") {
            let slot := buckets.slot
            let first := sload(slot)
            let second := sload(add(slot, 1))
            let mask := sub(shl(128, 1), 1)
            mstore(0, and(first, mask))
            mstore(0x20, shr(128, first))
            mstore(0x40, and(second, mask))
            mstore(0x60, shr(128, second))
            return(0, 0x80)
        }
    }

    /* ----------------------------------------------------------------------------------------- */
    /*                                          INTERNAL                                         */
    /* ----------------------------------------------------------------------------------------- */

    function _deposit(address provider, uint256 amount) internal {
        if (amount == 0) revert ZeroAmount();
        PositionData storage pos = _positions[provider];
        uint256 collateral = pos.collateral + amount;
        // Cancelling a withdrawal adds the pending amount back, so both must fit together.
        uint256 total = collateral + pos.pendingWithdrawal;
        if (total > type(uint128).max) revert AmountOverflow(total);

        pos.collateral = uint128(collateral);

        emit CollateralDeposited(provider, msg.sender, amount);

        _pull(collateralToken, msg.sender, amount);
    }

    /// @dev Removes `amount` from the provider's obligations and credits `earned` to its earnings, in one write of
    /// slot 0; coverage above the obligations that remain goes back to the provider as a `claimable` credit
    /// (coverage never exceeds obligations).
    function _releaseObligation(address provider, uint256 amount, uint256 earned) internal {
        PositionData storage pos = _positions[provider];
        // Slot 0 is [earnings 128 | covered 8 | obligations 120]: one read and one write for both changes.
        uint256 word;
        assembly ("memory-safe") {
            word := sload(pos.slot)
        }
        uint256 obligations = (word & type(uint120).max) - amount;
        bool covered = (word >> 120) & 0xff != 0;
        // Earnings stay below the token's supply (< 2^120 by the token rules), so the sum fits its 128 bits.
        word = obligations | (word & (0xff << 120)) | (((word >> 128) + earned) << 128);
        assembly ("memory-safe") {
            sstore(pos.slot, word)
        }
        if (covered) {
            uint256 coverage = pos.coverage;
            if (coverage > obligations) {
                uint256 released = coverage - obligations;
                _setCoverage(pos, obligations);
                claimable[address(paymentToken)][provider] += released;
                emit CoverageReleased(provider, released);
            }
        }
    }

    /// @dev The deal slot as one word, [collateral 104 | price 104 | time 40 | status 8] (the `DealState` layout):
    /// the hot paths read and write it once instead of once per field.
    function _loadDeal(DealState storage d) internal view returns (uint256 word) {
        assembly ("memory-safe") {
            word := sload(d.slot)
        }
    }

    /// @dev Writes a whole deal slot in one store; `time`, `price` and `collateral` are checked to fit by the caller.
    function _storeDeal(DealState storage d, DealStatus status, uint256 time, uint256 price, uint256 collateral)
        internal
    {
        uint256 word = uint256(status) | (time << 8) | (price << 48) | (collateral << 152);
        assembly ("memory-safe") {
            sstore(d.slot, word)
        }
    }

    /// @dev The client's payment-token credit pays a deal when it holds the whole price (no transfer); otherwise
    /// the caller pulls the price.
    function _spendCredit(address client, uint256 price) internal returns (bool) {
        mapping(address => uint256) storage credits = claimable[address(paymentToken)];
        uint256 credit = credits[client];
        if (credit < price) return false;
        credits[client] = credit - price;
        return true;
    }

    function _bond(uint256 price) internal view returns (uint256) {
        return price.bpsUp(DISPUTE_BOND_BPS);
    }

    /// @dev Coverage never exceeds obligations, so it fits in their 120 bits.
    function _setCoverage(PositionData storage pos, uint256 coverage) internal {
        pos.coverage = uint128(coverage);
        pos.covered = coverage != 0;
    }

    /// @dev Takes up to `value` (payment units) from `s`: payment tokens, then free, then pending collateral at
    /// `s.price` (skipped when not `s.priced`). Collateral needed is rounded up, capped at what there is.
    function _take(Source memory s, uint256 value) internal view returns (uint256 pay, uint256 col, uint256 taken) {
        if (value == 0) return (0, 0, 0);
        uint256 payment = s.payment;
        // Every difference below is of a smaller from a larger amount, and every amount is below 2^129.
        unchecked {
            pay = payment < value ? payment : value;
            s.payment = payment - pay;
            uint256 rest = value - pay;
            uint256 free = s.free;
            uint256 pending = s.pending;
            uint256 available = free + pending;
            if (rest == 0 || available == 0 || !s.priced) return (pay, 0, pay);

            col = _toCollateralUp(rest, s.price);
            if (col > available) {
                col = available;
                rest = _valueDown(available, s.price);
            }
            taken = pay + rest;
            uint256 fromFree = col < free ? col : free;
            s.free = free - fromFree;
            s.pending = pending - (col - fromFree);
        }
    }

    /// @dev Credits a recipient its payment and collateral tokens, as one credit when they are the same token.
    function _credit(address to, uint256 payment, uint256 collateral) internal {
        if (SAME_TOKEN) {
            if (payment + collateral != 0) claimable[address(paymentToken)][to] += payment + collateral;
        } else {
            if (payment != 0) claimable[address(paymentToken)][to] += payment;
            if (collateral != 0) claimable[address(collateralToken)][to] += collateral;
        }
    }

    /// @dev When credits vesting now unlock: at the end of the unbonding window after this one, (k + 2) x U for
    /// the window [k x U, (k + 1) x U) holding `block.timestamp`.
    function _vestingEnd() internal view returns (uint256) {
        unchecked {
            return (block.timestamp / UNBONDING_PERIOD + 2) * UNBONDING_PERIOD;
        }
    }

    /// @dev Credits what a liquidation took from a provider to `to`, claimable at `unlockAt` (`_vestingEnd`).
    function _vest(address to, uint256 payment, uint256 collateral, uint256 unlockAt) internal {
        if (SAME_TOKEN) {
            _vestToken(address(paymentToken), to, payment + collateral, unlockAt);
        } else {
            _vestToken(address(paymentToken), to, payment, unlockAt);
            _vestToken(address(collateralToken), to, collateral, unlockAt);
        }
    }

    /// @dev Windows alternate between the two buckets, so the bucket found there is either this window's (same
    /// `unlockAt`) or one that unlocked at the latest when this window began; an unclaimed one moves to
    /// `claimable`. Amounts stay below the token's supply (< 2^120), so the bucket's 128 bits hold their sum.
    function _vestToken(address token, address to, uint256 amount, uint256 unlockAt) internal {
        if (amount == 0) return;
        Vesting storage bucket = _vesting[token][to][(unlockAt / UNBONDING_PERIOD) & 1];
        // [unlockAt 64 | amount 128], the `Vesting` layout: one read and one write.
        uint256 word;
        assembly ("memory-safe") {
            word := sload(bucket.slot)
        }
        if (word >> 128 != unlockAt) {
            if (uint128(word) != 0) claimable[token][to] += uint128(word);
            word = unlockAt << 128;
        }
        assembly ("memory-safe") {
            sstore(bucket.slot, add(word, amount))
        }
    }

    /// @dev A recipient that cannot receive (blocklisted, reverting hook) must not block anyone else, so a failed
    /// transfer becomes a `claimable` credit.
    function _payOrCredit(IERC20 token, address to, uint256 amount) internal {
        if (amount == 0) return;
        if (!token.tryTransfer(to, amount)) {
            _requireHeld(token, amount);
            claimable[address(token)][to] += amount;
            emit PayoutCredited(address(token), to, amount);
        }
    }

    /// @dev For transfers to the caller itself: failure reverts.
    function _push(IERC20 token, address to, uint256 amount) internal {
        if (!token.tryTransfer(to, amount)) {
            _requireHeld(token, amount);
            revert TransferFailed(address(token), to, amount);
        }
    }

    /// @dev A transfer failed: tells a recipient that cannot receive (credited) from a market that no longer holds
    /// what it owes (a token whose balance shrank), which must not be papered over with a credit.
    function _requireHeld(IERC20 token, uint256 amount) internal view {
        uint256 balance = token.balanceOfSelf();
        if (balance < amount) revert InsufficientMarketBalance(address(token), amount, balance);
    }

    /// @dev Refuses tokens that deliver less than `amount`, which would break the accounting invariant.
    function _pull(IERC20 token, address from, uint256 amount) internal {
        uint256 before = token.balanceOfSelf();
        if (!token.tryTransferFrom(from, address(this), amount)) {
            revert TransferFromFailed(address(token), from, amount);
        }
        uint256 received = token.balanceOfSelf() - before;
        if (received != amount) revert FeeOnTransferUnsupported(amount, received);
    }

    /// @dev Reverts unless obligations <= CF x value(collateral) + coverage. Reads the price only when coverage
    /// alone falls short.
    function _requireBacked(uint256 obligations, uint256 coverage, uint256 collateral) internal view {
        if (obligations > coverage) _requireBackedAt(obligations, coverage, collateral, _price());
    }

    function _requireBackedAt(uint256 obligations, uint256 coverage, uint256 collateral, uint256 price)
        internal
        view
    {
        uint256 available = coverage + _valueDown(collateral, price).bpsDown(CF_BPS - _cutBps());
        if (obligations > available) revert InsufficientCollateral(obligations, available);
    }

    function _healthFactor(uint256 obligations, uint256 coverage, uint256 collateral, uint256 price)
        internal
        view
        returns (uint256)
    {
        if (obligations == 0) return type(uint256).max;
        uint256 backing = _valueDown(collateral, price).bpsDown(LT_BPS - _cutBps()) + coverage;
        return backing.mulDivDown(WAD, obligations);
    }

    function _valueDown(uint256 collateral, uint256 price) internal view returns (uint256) {
        if (SAME_TOKEN) return collateral;
        return collateral.mulDivDown(price * PRICE_SCALE_NUM, PRICE_SCALE_DEN);
    }

    function _toCollateralUp(uint256 value, uint256 price) internal view returns (uint256) {
        if (SAME_TOKEN) return value;
        return value.mulDivUp(PRICE_SCALE_DEN, price * PRICE_SCALE_NUM);
    }

    function _toCollateralDown(uint256 value, uint256 price) internal view returns (uint256) {
        if (SAME_TOKEN) return value;
        return value.mulDivDown(PRICE_SCALE_DEN, price * PRICE_SCALE_NUM);
    }

    /// @dev The oracle answer, or a revert naming why it cannot be used. 1 when there is no oracle.
    function _price() internal view returns (uint256 price) {
        if (SAME_TOKEN) return 1;
        (price,) = _readPrice();
    }

    function _readPrice() internal view returns (uint256, uint256) {
        (, int256 answer,, uint256 updatedAt,) = priceFeed.latestRoundData();
        return (_checkAnswer(answer, updatedAt), updatedAt);
    }

    function _checkAnswer(int256 answer, uint256 updatedAt) internal view returns (uint256) {
        if (answer <= 0) revert InvalidPrice(answer);
        if (updatedAt > block.timestamp || block.timestamp - updatedAt > MAX_PRICE_AGE) {
            revert StalePrice(updatedAt, MAX_PRICE_AGE);
        }
        return uint256(answer);
    }

    /// @dev How far volatility lowers CF and LT now (bps); a storage read only in markets that track it.
    function _cutBps() internal view returns (uint256) {
        if (VOLATILITY_WEIGHT_BPS == 0) return 0;
        return _cut(_volatility.variance);
    }

    /// @dev Linear in the variance, complete at `FULL_CUT_VARIANCE`.
    function _cut(uint256 variance) internal view returns (uint256) {
        return MAX_CUT_BPS * variance.min(FULL_CUT_VARIANCE) / FULL_CUT_VARIANCE;
    }

    /// @dev Like `_price` but never reverts, so that refunds go ahead when the oracle is stale, invalid or broken.
    /// A low-level call, because try/catch would still revert on return data too short to decode.
    function _tryPrice() internal view returns (uint256 price, bool ok) {
        if (SAME_TOKEN) return (1, true);
        address feed = address(priceFeed);
        bool success;
        int256 answer;
        uint256 updatedAt;
        // Scratch space past the free memory pointer: (roundId, answer, startedAt, updatedAt, answeredInRound).
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0xfeaf968c))
            success := staticcall(gas(), feed, m, 4, m, 0xa0)
            if lt(returndatasize(), 0xa0) { success := 0 }
            answer := mload(add(m, 0x20))
            updatedAt := mload(add(m, 0x60))
        }
        if (!success || answer <= 0 || updatedAt > block.timestamp || block.timestamp - updatedAt > MAX_PRICE_AGE) {
            return (0, false);
        }
        return (uint256(answer), true);
    }

    /// @dev Reverts with `DealNotFound` for an unknown id, otherwise with the error `selector` names.
    function _revertStatus(bytes32 dealId, DealStatus status, bytes4 selector) internal pure {
        if (status == DealStatus.None) revert DealNotFound(dealId);
        if (selector == DealNotOpen.selector) revert DealNotOpen(dealId, status);
        if (selector == DealNotCommitted.selector) revert DealNotCommitted(dealId, status);
        if (selector == DealNotDisputed.selector) revert DealNotDisputed(dealId, status);
        revert DealNotLiquidatable(dealId, status);
    }

    function _toUint128(uint256 x) internal pure returns (uint128) {
        if (x > type(uint128).max) revert AmountOverflow(x);
        return uint128(x);
    }

    /// @dev `decimals()` of a token or the feed, refusing what the amount fields and scale factors cannot carry.
    function _decimals(address token) internal view returns (uint256 decimals) {
        (bool ok, bytes memory ret) = token.staticcall(abi.encodeWithSignature("decimals()"));
        if (!ok || ret.length < 32) revert DecimalsUnreadable(token);
        decimals = abi.decode(ret, (uint256));
        if (decimals > MAX_DECIMALS) revert TooManyDecimals(token, decimals, MAX_DECIMALS);
    }

    /// @dev Deploys `abi.encode(p)` as code. The creation prefix returns what follows it: PUSH1 11 (its own
    /// length), DUP1, CODESIZE, SUB, DUP1, SWAP2, PUSH0, CODECOPY, PUSH0, RETURN.
    function _storeParameters(Parameters memory p) internal returns (address data) {
        bytes memory init = abi.encodePacked(hex"600b80380380915f395ff3", abi.encode(p));
        assembly ("memory-safe") {
            data := create(0, add(init, 0x20), mload(init))
        }
        if (data == address(0)) revert ParametersNotStored();
    }

    function _validate(Parameters memory p) internal pure {
        _checkBounds("collateralFactorBps", p.collateralFactorBps, MIN_COLLATERAL_FACTOR_BPS, MAX_COLLATERAL_FACTOR_BPS);
        _checkBounds(
            "liquidationThresholdBps",
            p.liquidationThresholdBps,
            uint256(p.collateralFactorBps) + 1,
            MAX_LIQUIDATION_THRESHOLD_BPS
        );
        // LT x (1 + bonus) < 1, so that a position liquidation raises the health factor.
        uint256 maxBonus = MAX_LIQUIDATION_BONUS_BPS.min((BPS * BPS - 1) / p.liquidationThresholdBps - BPS);
        _checkBounds("liquidationBonusBps", p.liquidationBonusBps, 0, maxBonus);
        _checkBounds("keeperBonusBps", p.keeperBonusBps, 0, MAX_KEEPER_BONUS_BPS);
        _checkBounds("insuranceBps", p.insuranceBps, 0, MAX_INSURANCE_BPS);
        // Clients first: a position backed at CF can pay every client and both bonuses at the opening price.
        if (uint256(p.collateralFactorBps) * (BPS + p.keeperBonusBps + p.insuranceBps) > BPS * BPS) {
            revert ClientsNotSenior(p.collateralFactorBps, p.keeperBonusBps, p.insuranceBps);
        }
        _checkBounds("protocolFeeBps", p.protocolFeeBps, 0, MAX_PROTOCOL_FEE_BPS);
        _checkBounds("disputeBondBps", p.disputeBondBps, 0, MAX_DISPUTE_BOND_BPS);
        _checkBounds("challengeWindow", p.challengeWindow, MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW);
        _checkBounds("unbondingPeriod", p.unbondingPeriod, MIN_UNBONDING_PERIOD, MAX_UNBONDING_PERIOD);
        _checkBounds("maxPriceAge", p.maxPriceAge, MIN_MAX_PRICE_AGE, MAX_MAX_PRICE_AGE);
        _checkBounds("arbitrationWindow", p.arbitrationWindow, MIN_ARBITRATION_WINDOW, MAX_ARBITRATION_WINDOW);
        _checkBounds("minDealDuration", p.minDealDuration, MIN_DEAL_DURATION, MAX_DEAL_DURATION);
        _checkBounds("volatilityWeightBps", p.volatilityWeightBps, 0, BPS);
        _checkBounds("maxVolatilityBps", p.maxVolatilityBps, MIN_MAX_VOLATILITY_BPS, BPS);
        _checkBounds("minCollateralFactorBps", p.minCollateralFactorBps, MIN_COLLATERAL_FACTOR_BPS, p.collateralFactorBps);
    }

    function _checkBounds(bytes32 name, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert ParameterOutOfBounds(name, value, min, max);
    }
}
// forge-lint: disable-end(unsafe-typecast)
// forge-lint: disable-end(block-timestamp)
