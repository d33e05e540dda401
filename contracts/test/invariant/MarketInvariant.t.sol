// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Test} from "forge-std/Test.sol";
import {AllotMarket} from "../../src/AllotMarket.sol";
import {
    IAllotMarket,
    DealTerms,
    DealState,
    DealStatus,
    Parameters,
    MarketConfig,
    Position
} from "../../src/interfaces/IAllotMarket.sol";
import {IERC20} from "../../src/interfaces/IERC20.sol";
import {IAggregatorV3} from "../../src/interfaces/IAggregatorV3.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {BlocklistToken} from "../mocks/TestTokens.sol";
import {MarketHandler} from "./MarketHandler.sol";

/// @dev The accounting rules, checked after every call of a random sequence:
/// - per token, what the market holds equals what it owes (escrows, dispute bonds, collateral, pending
///   withdrawals, coverage, insurance fund, fees, claimable and vesting credits, providers' credited earnings);
/// - each provider's obligations equal the compensation its unfinished deals may still cost;
/// - coverage never exceeds obligations;
/// - a final deal never moves funds or changes status again;
/// - a defaulted client got its price back and its compensation, or the shortfall was recorded as bad debt;
/// - per actor (ghost ledger of what each was handed from outside): no provider ends with more collateral than
///   it deposited or more payment than its settled prices, bonds won and coverage bought for it; no client with
///   more than its refunds, bonds and compensation; keepers' bonuses stay within their shares and are never paid
///   while a client is left short; deals beyond the collateral factor are refused;
/// - over time (ghost checks in the handler): what a liquidation takes from a provider vests for one to two
///   unbonding periods, and a claim pays exactly the claimable and unlocked credits, never one still vesting.
/// Suites below vary the parameters and the decimals (6/18, 18/8, 6/6), and one provider signs through EIP-1271.
abstract contract MarketInvariantTest is Test {
    AllotMarket internal market;
    BlocklistToken internal usd;
    BlocklistToken internal col;
    MockPriceFeed internal feed;
    MarketHandler internal handler;

    address internal owner = makeAddr("owner");
    address internal arbiter = makeAddr("arbiter");

    function sameToken() internal pure virtual returns (bool);

    function paymentDecimals() internal pure virtual returns (uint8) {
        return 6;
    }

    function collateralDecimals() internal pure virtual returns (uint8) {
        return 18;
    }

    function parameters() internal pure virtual returns (Parameters memory) {
        return Parameters({
                    collateralFactorBps: 8000,
                    liquidationThresholdBps: 9000,
                    liquidationBonusBps: 500,
                    keeperBonusBps: 500,
                    insuranceBps: 1000,
                    protocolFeeBps: 100,
                    disputeBondBps: 1000,
                    challengeWindow: 1 hours,
                    unbondingPeriod: 1 days,
                    maxPriceAge: 1 hours,
                    arbitrationWindow: 1 days,
                    minDealDuration: 1 minutes,
                    volatilityWeightBps: 2000,
                    maxVolatilityBps: 2000,
                    minCollateralFactorBps: 6000
                });
    }

    function setUp() public {
        vm.warp(1_700_000_000);
        usd = new BlocklistToken(paymentDecimals());
        if (sameToken()) {
            col = usd;
        } else {
            col = new BlocklistToken(collateralDecimals());
            feed = new MockPriceFeed(8, 2e8, "COL / USD");
        }
        market = new AllotMarket(
            MarketConfig({
                paymentToken: IERC20(address(usd)),
                collateralToken: IERC20(address(col)),
                priceFeed: IAggregatorV3(address(feed)),
                arbiter: arbiter,
                feeRecipient: owner,
                params: parameters()
            })
        );
        handler = new MarketHandler(market, usd, col, feed, owner, arbiter);
        targetContract(address(handler));
        bytes4[] memory selectors = new bytes4[](28);
        selectors[0] = MarketHandler.deposit.selector;
        selectors[1] = MarketHandler.requestWithdrawal.selector;
        selectors[2] = MarketHandler.cancelWithdrawal.selector;
        selectors[3] = MarketHandler.withdraw.selector;
        selectors[4] = MarketHandler.openDeal.selector;
        selectors[5] = MarketHandler.openDeal.selector; // opened twice as often
        selectors[6] = MarketHandler.commit.selector;
        selectors[7] = MarketHandler.commit.selector;
        selectors[8] = MarketHandler.settle.selector;
        selectors[9] = MarketHandler.settleMany.selector;
        selectors[10] = MarketHandler.dispute.selector;
        selectors[11] = MarketHandler.resolveDispute.selector;
        selectors[12] = MarketHandler.liquidateDeal.selector;
        selectors[13] = MarketHandler.liquidatePosition.selector;
        selectors[14] = MarketHandler.movePrice.selector;
        selectors[15] = MarketHandler.breakPrice.selector;
        selectors[16] = MarketHandler.warp.selector;
        selectors[17] = MarketHandler.claim.selector;
        selectors[18] = MarketHandler.toggleBlocked.selector;
        selectors[19] = MarketHandler.withdrawFees.selector;
        selectors[20] = MarketHandler.fundInsurance.selector;
        selectors[21] = MarketHandler.pokeFinal.selector;
        selectors[22] = MarketHandler.warp.selector;
        selectors[23] = MarketHandler.movePrice.selector;
        selectors[24] = MarketHandler.closeExpiredDispute.selector;
        selectors[25] = MarketHandler.updateVolatility.selector;
        selectors[26] = MarketHandler.withdrawEarnings.selector;
        selectors[27] = MarketHandler.depositPayment.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    struct Owed {
        uint256 payment;
        uint256 collateral;
    }

    function _owed() internal view returns (Owed memory o) {
        uint256 n = handler.dealCount();
        for (uint256 i; i < n; ++i) {
            DealTerms memory t = handler.dealTerms(i);
            DealState memory d = market.deal(t.provider, handler.dealIds(i));
            if (
                d.status == DealStatus.Open || d.status == DealStatus.Committed || d.status == DealStatus.Disputed
                    || d.status == DealStatus.Defaulted
            ) o.payment += t.price;
            if (d.status == DealStatus.Disputed) {
                o.payment += (uint256(t.price) * market.parameters().disputeBondBps + 9_999) / 10_000;
            }
        }
        uint256 p = handler.providerCount();
        for (uint256 i; i < p; ++i) {
            Position memory pos = market.position(handler.providers(i));
            // Credited earnings are claims on the market like any other.
            o.payment += uint256(pos.coverage) + pos.earnings;
            o.collateral += uint256(pos.collateral) + pos.pendingWithdrawal;
        }
        o.payment += market.insuranceFund() + market.feesAccrued();
        o.collateral += market.insuranceCollateral();
        uint256 a = handler.accountCount();
        for (uint256 i; i < a; ++i) {
            address account = handler.accounts(i);
            // Vesting credits too: taken from providers, owed to their recipients once unlocked.
            o.payment += handler.credited(address(usd), account);
            if (address(col) != address(usd)) o.collateral += handler.credited(address(col), account);
        }
    }

    /// @dev One campaign checks every rule after each call (a campaign per rule would multiply the run time).
    function invariant_marketRules() public view {
        _checkTokensHeldEqualTokensOwed();
        _checkObligationsMatchUnfinishedDeals();
        _checkFinalDealsNeverMove();
        _checkDefaultedClientsMadeWholeOrShortfallRecorded();
        _checkNoActorEndsWithMoreThanTheRulesAllow();
    }

    /// @dev What each actor holds (wallet + claimable credit) against what it was handed and what the rules
    /// entitle its role to. Collateral tokens a client or keeper receives are compensation and bonuses, valued by
    /// the market in its events: they are checked through the ghost ledger of liquidations instead.
    function _checkNoActorEndsWithMoreThanTheRulesAllow() internal view {
        uint256 n = handler.dealCount();
        for (uint256 i; i < handler.providerCount(); ++i) {
            address p = handler.providers(i);
            uint256 entitled = handler.mintedUsd(p) + handler.ghostBondsWon(p) + handler.ghostCoverageBought(p);
            for (uint256 j; j < n; ++j) {
                DealTerms memory t = handler.dealTerms(j);
                if (t.provider == p && market.deal(p, handler.dealIds(j)).status == DealStatus.Settled) entitled += t.price;
            }
            uint256 heldUsd = usd.balanceOf(p) + handler.credited(address(usd), p) + market.position(p).earnings;
            if (sameToken()) {
                assertLe(heldUsd, entitled + handler.mintedCol(p), "a provider holds more than it put in and earned");
            } else {
                assertLe(heldUsd, entitled, "a provider was paid more than its deals");
                assertLe(
                    col.balanceOf(p) + handler.credited(address(col), p),
                    handler.mintedCol(p),
                    "a provider holds more collateral than it deposited"
                );
            }
        }
        for (uint256 i; i < 3; ++i) {
            address c = handler.clients(i);
            uint256 entitled = handler.mintedUsd(c);
            for (uint256 j; j < n; ++j) {
                DealTerms memory t = handler.dealTerms(j);
                if (t.client != c) continue;
                bytes32 id = handler.dealIds(j);
                // Its price back (refund or expired dispute), its bonds back, and the compensation paid to it.
                entitled += handler.ghostCompensation(id);
            }
            uint256 held = usd.balanceOf(c) + handler.credited(address(usd), c);
            // Compensation paid in collateral tokens is valued in the event, not held in payment tokens: the
            // payment-token part alone may not exceed what was handed to the client plus its compensation.
            assertLe(held, entitled, "a client holds more payment tokens than it was handed and compensated");
        }
        assertEq(handler.violations(), 0, handler.lastViolation());
    }

    function _checkTokensHeldEqualTokensOwed() internal view {
        Owed memory o = _owed();
        if (sameToken()) {
            assertEq(usd.balanceOf(address(market)), o.payment + o.collateral, "held != owed");
        } else {
            assertEq(usd.balanceOf(address(market)), o.payment, "payment held != owed");
            assertEq(col.balanceOf(address(market)), o.collateral, "collateral held != owed");
        }
    }

    function _checkObligationsMatchUnfinishedDeals() internal view {
        uint256 p = handler.providerCount();
        uint256 n = handler.dealCount();
        for (uint256 i; i < p; ++i) {
            address provider = handler.providers(i);
            uint256 expected;
            for (uint256 j; j < n; ++j) {
                DealTerms memory t = handler.dealTerms(j);
                if (t.provider != provider) continue;
                DealState memory d = market.deal(provider, handler.dealIds(j));
                if (
                    d.status == DealStatus.Open || d.status == DealStatus.Committed || d.status == DealStatus.Disputed
                        || d.status == DealStatus.Defaulted
                ) expected += t.collateral;
                if (d.status == DealStatus.Liquidating) expected += d.collateral;
            }
            Position memory pos = market.position(provider);
            assertEq(pos.obligations, expected, "obligations");
            assertLe(pos.coverage, pos.obligations, "coverage above obligations");
        }
    }

    function _checkFinalDealsNeverMove() internal view {
        assertEq(handler.violations(), 0, handler.lastViolation());
    }

    function _checkDefaultedClientsMadeWholeOrShortfallRecorded() internal view {
        uint256 n = handler.dealCount();
        for (uint256 i; i < n; ++i) {
            DealTerms memory t = handler.dealTerms(i);
            bytes32 id = handler.dealIds(i);
            DealState memory d = market.deal(t.provider, id);
            if (d.status == DealStatus.Liquidated) {
                assertEq(handler.ghostRefund(id), t.price, "refund");
                assertEq(handler.ghostCompensation(id) + handler.ghostShortfall(id), t.collateral, "compensation");
            } else if (d.status == DealStatus.Liquidating) {
                assertEq(handler.ghostRefund(id), t.price, "refund");
                assertEq(handler.ghostCompensation(id) + d.collateral, t.collateral, "deferred compensation");
            } else {
                assertEq(handler.ghostRefund(id) + handler.ghostCompensation(id), 0, "paid without liquidation");
            }
        }
    }

}

/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 150
contract MarketInvariantSameTokenTest is MarketInvariantTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }
}

/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 150
contract MarketInvariantTwoTokensTest is MarketInvariantTest {
    function sameToken() internal pure override returns (bool) {
        return false;
    }
}

/// @dev Another market, other rules: a low collateral factor with large bonuses still within CF x (1 + keeper +
/// insurance) <= 1, no fee, fast-moving volatility; 18-decimal payment, 8-decimal collateral.
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 150
contract MarketInvariantOtherRulesTest is MarketInvariantTest {
    function sameToken() internal pure override returns (bool) {
        return false;
    }

    function paymentDecimals() internal pure override returns (uint8) {
        return 18;
    }

    function collateralDecimals() internal pure override returns (uint8) {
        return 8;
    }

    function parameters() internal pure override returns (Parameters memory p) {
        p = super.parameters();
        p.collateralFactorBps = 5_000;
        p.liquidationThresholdBps = 6_000;
        p.liquidationBonusBps = 1_000;
        p.keeperBonusBps = 1_000;
        p.insuranceBps = 5_000;
        p.protocolFeeBps = 0;
        p.disputeBondBps = 0;
        p.volatilityWeightBps = 5_000;
        p.minCollateralFactorBps = 2_000;
    }
}

/// @dev One 6-decimal token for both roles, with the highest collateral factor the clients-first bound allows
/// for these bonuses.
/// forge-config: default.invariant.runs = 32
/// forge-config: default.invariant.depth = 150
contract MarketInvariantTightTest is MarketInvariantTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }

    function parameters() internal pure override returns (Parameters memory p) {
        p = super.parameters();
        p.collateralFactorBps = 8_695; // 0.8695 x 1.15 <= 1
        p.liquidationThresholdBps = 9_500;
        p.liquidationBonusBps = 400;
    }
}
