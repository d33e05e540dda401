// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";
import {BlocklistToken} from "./mocks/TestTokens.sol";

/// @dev One test per rule an outside review bent in the old market (issue 12, "Why"): each shows the attack now
/// fails. Numbers use the default parameters (CF 0.8, LT 0.9, keeper 5%, insurance 10%, liquidation bonus 5%).
contract AttacksTest is BaseTest {
    /// @dev Old attack: the owner set CF 10% / LT 10.01% / bonus 20%, liquidated every position, restored them.
    /// Now there is no owner and no setter: the selectors do not exist and the rules stay those of creation.
    function test_noKeyChangesTheRules() public {
        deposit(provider, 1_000e18);
        open(terms(provider, 100e6, 1_000e6));
        Parameters memory before = market.parameters();
        bytes[5] memory calls = [
            abi.encodeWithSignature(
                "setParameters((uint16,uint16,uint16,uint16,uint16,uint16,uint16,uint32,uint32,uint32))",
                1_000, 1_001, 2_000, 0, 0, 0, 0, 60, 3600, 60
            ),
            abi.encodeWithSignature("setArbiter(address)", keeper),
            abi.encodeWithSignature("transferOwnership(address)", keeper),
            abi.encodeWithSignature("withdrawFees(address)", keeper),
            abi.encodeWithSignature("owner()")
        ];
        address[3] memory callers = [owner, feeRecipient, arbiter];
        for (uint256 i; i < calls.length; ++i) {
            for (uint256 j; j < callers.length; ++j) {
                vm.prank(callers[j]);
                (bool ok,) = address(market).call(calls[i]);
                assertFalse(ok, "an admin entry point exists");
            }
        }
        assertEq(abi.encode(market.parameters()), abi.encode(before));
        // The healthy provider stays unliquidatable for everyone.
        usd.mint(owner, 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.PositionHealthy.selector, 1.8e18));
        vm.prank(owner);
        market.liquidatePosition(provider, 500e6);
    }

    /// @dev Old attack: below HF ~0.945 a position liquidation took its bonus out of what backed the client, who
    /// then got less than its compensation at a constant price. Now the bonus is capped at the equity.
    function test_positionLiquidationNeverPaysFromClientsCompensation() public {
        deposit(provider, 1_000e18);
        DealTerms memory t = terms(provider, 100e6, 1_600e6);
        open(t);
        setPrice(1.65e8); // value 1,650 against 1,600: HF 0.928, equity 50
        usd.mint(liquidator, 1_600e6);
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1_600e6);
        Position memory p = pos(provider);
        uint256 backing = p.coverage + p.collateral * 1.65e8 / 1e20;
        assertGe(backing, p.obligations, "the liquidation lowered what backs the client");
        // The liquidator got its 1,600 back plus at most the 50 of equity.
        assertLe(collateralToken.balanceOf(liquidator) * 1.65e8 / 1e20, 1_650e6);

        vm.warp(t.deadline);
        setPrice(1.65e8);
        vm.prank(keeper);
        market.liquidateDeal(t);
        cashOutAfterVesting(client);
        assertEq(usd.balanceOf(client) + collateralToken.balanceOf(client) * 1.65e8 / 1e20, 100e6 + 1_600e6);
        assertEq(market.badDebt(), 0);
    }

    /// @dev Old attack: CF 95% with a 20% keeper bonus was in bounds; a keeper's bonus on one deal was paid out of
    /// what backed the next client. Now the bound refuses such a market and bonuses come after every client.
    function test_clientsAreSeniorToKeeperAndInsurance() public {
        MarketConfig memory c = config();
        c.params.collateralFactorBps = 9_500;
        c.params.liquidationThresholdBps = 9_600;
        c.params.liquidationBonusBps = 0;
        c.params.keeperBonusBps = 2_000;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ClientsNotSenior.selector, 9_500, 2_000, 1_000));
        createMarket(c);

        deposit(provider, 1_000e18); // worth 2,000: backs 1,600
        DealTerms memory a = terms(provider, 100e6, 800e6);
        DealTerms memory b = terms(provider, 100e6, 800e6);
        open(a);
        bytes32 idB = open(b);
        vm.warp(a.deadline);
        setPrice(1e8); // worth 1,000 against 1,600 owed
        vm.expectEmit(address(market));
        emit IAllotMarket.DealLiquidated(market.hashDealTerms(a), keeper, 100e6, 800e6, 0, 0, 0, vestedUntil());
        vm.prank(keeper);
        market.liquidateDeal(a); // no bonus: the 200 left back client b
        vm.expectEmit(address(market));
        emit IAllotMarket.CompensationShortfall(idB, client, 600e6);
        vm.prank(keeper);
        market.liquidateDeal(b);
        cashOutAfterVesting(client);
        cashOutAfterVesting(keeper);
        assertEq(collateralToken.balanceOf(client), 1_000e18, "both clients got all the collateral");
        assertEq(collateralToken.balanceOf(keeper), 0);
        assertEq(market.insuranceCollateral(), 0);
        assertEq(market.badDebt(), 600e6, "the shortfall is public bad debt");
    }

    /// @dev Keeper bonus and insurance share together stay within the equity above the other clients: with 60
    /// of equity the keeper takes its 40 and the fund only the 20 left, so the next client is still paid in full.
    function test_bonusesShareTheEquityAboveTheClients() public {
        deposit(provider, 1_000e18);
        DealTerms memory a = terms(provider, 100e6, 800e6);
        DealTerms memory b = terms(provider, 100e6, 800e6);
        open(a);
        open(b);
        vm.warp(a.deadline);
        setPrice(1.66e8); // worth 1,660: 800 + 800 + 60 of equity
        vm.prank(keeper);
        market.liquidateDeal(a);
        assertApproxEqAbs(vestingOf(address(collateralToken), keeper) * 1.66e8 / 1e20, 40e6, 1, "keeper takes its 5%");
        assertLe(market.insuranceCollateral() * 1.66e8 / 1e20, 20e6, "the fund takes only what is left above client b");
        vm.prank(keeper);
        market.liquidateDeal(b);
        cashOutAfterVesting(client);
        assertApproxEqAbs(collateralToken.balanceOf(client) * 1.66e8 / 1e20, 1_600e6, 2, "both clients paid in full");
        assertEq(market.badDebt(), 0);
    }

    /// @dev Collateral owed to a client is rounded up (in the client's favour), never down: 100 at 3.00 is
    /// 33.333... tokens, paid as ...334.
    function test_collateralOwedRoundsUp() public {
        deposit(provider, 1_000e18);
        DealTerms memory t = terms(provider, 10e6, 100e6);
        open(t);
        vm.warp(t.deadline);
        setPrice(3e8);
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(vestingOf(address(collateralToken), client), uint256(100e6) * 1e20 / 3e8 + 1);
    }

    /// @dev Old attack: one actor as provider, client and keeper drained a third party's insurance fund by
    /// self-deals. Now a deal needs two accounts, and with three the actor ends with less than it put in.
    function test_selfDealsCannotDrainTheInsuranceFund() public {
        usd.mint(liquidator, 1_000e6);
        vm.prank(liquidator);
        market.fundInsurance(1_000e6);

        DealTerms memory t = terms(provider, 1e6, 1_000e6);
        t.client = provider;
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.SelfDeal.selector, provider));
        vm.prank(provider);
        market.openDeal(t, signature);

        // With a second and third account (client, keeper) at a constant price.
        deposit(provider, 1_000e18);
        uint256 start = usd.balanceOf(provider) + usd.balanceOf(client) + usd.balanceOf(keeper)
            + (collateralToken.balanceOf(provider) + collateralToken.balanceOf(client) + collateralToken.balanceOf(keeper)
                + 1_000e18) * 2e8 / 1e20;
        DealTerms memory u = terms(provider, 1e6, 1_600e6);
        open(u);
        vm.warp(u.deadline);
        setPrice(INITIAL_ANSWER);
        vm.prank(keeper);
        market.liquidateDeal(u);
        uint256 left = pos(provider).collateral;
        vm.prank(provider);
        market.requestWithdrawal(left);
        skip(7 days);
        setPrice(INITIAL_ANSWER);
        vm.prank(provider);
        market.withdraw();
        cashOutAfterVesting(provider);
        cashOutAfterVesting(client);
        cashOutAfterVesting(keeper);
        uint256 end = usd.balanceOf(provider) + usd.balanceOf(client) + usd.balanceOf(keeper)
            + (collateralToken.balanceOf(provider) + collateralToken.balanceOf(client) + collateralToken.balanceOf(keeper))
                * 2e8 / 1e20;
        assertEq(market.insuranceFund(), 1_000e6, "the fund paid nothing");
        assertLt(end, start + 1e6, "the actor gained"); // + the price it minted to itself in `open`
    }

    /// @dev Old attack: a silent arbiter locked a disputed deal for ever. Now the arbitration window ends it.
    function test_silentArbiterCannotLockADispute() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        usd.mint(client, 10e6);
        vm.prank(client);
        market.dispute(t);
        uint256 endsAt = block.timestamp + 3 days;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ArbitrationWindowOpen.selector, endsAt));
        market.closeExpiredDispute(t);

        skip(3 days);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ArbitrationWindowClosed.selector, endsAt));
        vm.prank(arbiter);
        market.resolveDispute(t, false);

        vm.expectEmit(address(market));
        emit IAllotMarket.DisputeExpired(dealId, client, 100e6, 10e6);
        vm.prank(keeper); // anyone
        market.closeExpiredDispute(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.DisputeExpired));
        assertEq(usd.balanceOf(client), 110e6, "price and bond back");
        assertEq(pos(provider).obligations, 0, "obligation released");
        assertEq(usd.balanceOf(address(market)), 0);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotDisputed.selector, dealId, DealStatus.DisputeExpired));
        market.closeExpiredDispute(t);
    }

    /// @dev Old attack: a self-deal with a 1-second deadline took collateral out at once, past the unbonding.
    function test_noOneSecondDealsAndNoSelfDeals() public {
        deposit(provider, 1_000e18);
        DealTerms memory t = terms(provider, 1e6, 1_000e6);
        t.deadline = uint64(block.timestamp + 1);
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealTooShort.selector, t.deadline, block.timestamp + 60));
        vm.prank(client);
        market.openDeal(t, signature);

        t.client = provider;
        t.deadline = uint64(block.timestamp + 1 days);
        signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.SelfDeal.selector, provider));
        vm.prank(provider);
        market.openDeal(t, signature);
    }

    /// @dev Old attack: a provider and a colluding client opened a deal of the minimum duration, the provider
    /// defaulted, and a keeper (the provider's own second account) liquidated it: the compensation and the keeper
    /// bonus, taken from the provider's collateral, were claimable at once, so the collateral reached the
    /// accomplices a minute after the deal opened instead of after the unbonding period. Now what a liquidation
    /// takes from a provider vests: no accomplice can claim it, or pay a deal with it, before a withdrawal
    /// requested at the same moment could leave.
    function test_collusionCannotMoveCollateralBeforeUnbonding() public {
        uint256 unbonding = market.parameters().unbondingPeriod;
        deposit(provider, 1_000e18); // worth 2,000: backs 1,600
        DealTerms memory t = terms(provider, 1e6, 1_600e6);
        t.deadline = uint64(block.timestamp + 60);
        open(t);
        vm.warp(t.deadline);
        setPrice(INITIAL_ANSWER);
        uint64 unlockAt = vestedUntil();
        vm.prank(keeper);
        market.liquidateDeal(t);
        uint256 compensation = vestingOf(address(collateralToken), client);
        uint256 bonus = vestingOf(address(collateralToken), keeper);
        assertEq(compensation, 800e18, "the client's compensation is taken");
        assertEq(bonus, 40e18, "the keeper's bonus is taken");
        // What the provider could have withdrawn instead would leave at now + unbonding at the earliest.
        assertGe(unlockAt, block.timestamp + unbonding, "vesting is at least the unbonding period");

        // Only the client's own payment comes back at once.
        vm.prank(client);
        market.claim(address(usd));
        assertEq(usd.balanceOf(client), 1e6);
        vm.warp(unlockAt - 1);
        setPrice(INITIAL_ANSWER);
        vm.expectRevert(
            abi.encodeWithSelector(IAllotMarket.CreditVesting.selector, address(collateralToken), client, compensation, unlockAt)
        );
        vm.prank(client);
        market.claim(address(collateralToken));
        vm.expectRevert(
            abi.encodeWithSelector(IAllotMarket.CreditVesting.selector, address(collateralToken), keeper, bonus, unlockAt)
        );
        vm.prank(keeper);
        market.claim(address(collateralToken));

        vm.warp(unlockAt);
        vm.prank(client);
        market.claim(address(collateralToken));
        vm.prank(keeper);
        market.claim(address(collateralToken));
        assertEq(collateralToken.balanceOf(client), compensation);
        assertEq(collateralToken.balanceOf(keeper), bonus);
        assertEq(vestingOf(address(collateralToken), client) + vestingOf(address(collateralToken), keeper), 0);
    }

    /// @dev Old attack: three chained calls in one transaction covered 1,400 of 1,600 uncovered; a small settle
    /// front-running a liquidation made it revert. Now the close factor holds per block and amounts are clamped.
    function test_closeFactorPerBlockAndClamped() public {
        deposit(provider, 1_000e18);
        DealTerms memory small = terms(provider, 1e6, 100e6);
        open(small);
        open(terms(provider, 100e6, 1_500e6));
        setPrice(1.7e8); // HF 0.956: half of the uncovered 1,600 per block
        usd.mint(liquidator, 10_000e6);

        // The provider front-runs with a settle that lowers the uncovered obligations: the keeper's
        // full-size request is clamped, not reverted.
        commit(small);
        vm.prank(client);
        market.settle(small); // uncovered now 1,500, HF 1.02: healthy
        setPrice(1.6e8); // HF 0.96
        vm.prank(liquidator);
        market.liquidatePosition(provider, 800e6);
        assertEq(pos(provider).coverage, 750e6, "clamped to half of 1,500");

        // Chained calls in the same block get nothing more.
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.CloseFactorUsed.selector, provider));
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1);

        // Next block: a new close factor on what is still uncovered (if still unhealthy).
        vm.roll(block.number + 1);
        setPrice(1e8);
        vm.prank(liquidator);
        market.liquidatePosition(provider, 10_000e6);
        assertLe(pos(provider).coverage, pos(provider).obligations);
    }

    /// @dev Old attack: a liquidation that seized nothing was accepted (the liquidator paid for nothing, or the
    /// call moved coverage without collateral). Now it is refused by name.
    function test_zeroSeizeRefused() public {
        MockERC20 whole = new MockERC20("Whole", "WHL", 0);
        MockPriceFeed f = new MockPriceFeed(8, 2e8, "WHL / mUSD");
        MarketConfig memory c = config();
        c.collateralToken = IERC20(address(whole));
        c.priceFeed = IAggregatorV3(address(f));
        collateralToken = whole;
        feed = f;
        useMarket(createMarket(c));
        deposit(provider, 1_000); // 1,000 whole tokens worth 2,000
        open(terms(provider, 100e6, 1_600e6));
        setPrice(1.6e8);
        usd.mint(liquidator, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoCollateralToSeize.selector, provider));
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1); // one millionth of a dollar buys no whole token
    }

    /// @dev Old attack: a token whose balance shrank made a failed payout look like a blocked recipient, and the
    /// first claimant was paid from others' deposits. Now a short market reverts by name; a blocked recipient is
    /// still credited.
    function test_shortBalanceRevertsBlockedRecipientCredited() public {
        BlocklistToken blt = new BlocklistToken(6);
        MarketConfig memory c = config();
        c.paymentToken = IERC20(address(blt));
        c.collateralToken = IERC20(address(blt));
        c.priceFeed = IAggregatorV3(address(0));
        usd = blt;
        collateralToken = blt;
        useMarket(createMarket(c));
        deposit(provider, 2_000e6);
        DealTerms memory t = terms(provider, 100e6, 500e6);
        open(t);
        commit(t);

        blt.setBlocked(provider, true);
        vm.prank(client);
        market.settle(t);
        // a blocked provider's withdrawal fails by name and its earnings stay
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TransferFailed.selector, address(blt), provider, 99e6));
        vm.prank(provider);
        market.withdrawEarnings();
        assertEq(pos(provider).earnings, 100e6);

        // a payout to a blocked client (an expired dispute's refund) is credited
        DealTerms memory u = terms(provider, 100e6, 500e6);
        open(u);
        commit(u);
        blt.mint(client, 10e6);
        vm.prank(client);
        market.dispute(u);
        skip(3 days);
        blt.setBlocked(client, true);
        market.closeExpiredDispute(u);
        assertEq(market.claimable(address(blt), client), 110e6, "blocked recipient credited");
        blt.setBlocked(provider, false);
        blt.setBlocked(client, false);
        // a second expired dispute, closed only after the rebase below
        DealTerms memory w = terms(provider, 100e6, 500e6);
        open(w);
        commit(w);
        blt.mint(client, 10e6);
        vm.prank(client);
        market.dispute(w);
        skip(3 days);
        // The balance shrinks out of band (a rebase): the market holds less than it owes.
        blt.burn(address(market), blt.balanceOf(address(market)));
        // a payout that cannot be made because the market is short reverts by name, it is not credited
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientMarketBalance.selector, address(blt), 110e6, 0));
        market.closeExpiredDispute(w);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientMarketBalance.selector, address(blt), 99e6, 0));
        vm.prank(provider);
        market.withdrawEarnings();
        // (opening w spent 100 of the client's 110 of credit: 10 are left to claim)
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientMarketBalance.selector, address(blt), 10e6, 0));
        vm.prank(client);
        market.claim(address(blt));
    }
}

/// @dev Collateral that follows volatility: the requirement rises along a volatile price path and falls back.
contract VolatilityTest is BaseTest {
    function test_requirementRisesWithVolatilityAndFallsBack() public {
        deposit(provider, 1_000e18); // worth 2,000
        market.updateVolatility(); // first round taken in: no variance yet
        (uint256 cf, uint256 lt) = market.effectiveFactors();
        assertEq(cf, 8_000);
        assertEq(lt, 9_000);
        uint256 calm = market.maxDealCollateral(provider);
        assertEq(calm, 1_600e6);

        // A volatile path: +-10% every round.
        int256[6] memory path = [int256(2.2e8), 2e8, 2.2e8, 2e8, 2.2e8, 2e8];
        uint256 lastCf = cf;
        for (uint256 i; i < path.length; ++i) {
            setPrice(path[i]);
            market.updateVolatility();
            (cf, lt) = market.effectiveFactors();
            assertLt(cf, lastCf, "CF falls while volatility rises");
            assertEq(lt, cf + 1_000, "LT falls by the same cut");
            assertGe(cf, 5_000, "never below the floor set at creation");
            lastCf = cf;
        }
        uint256 volatile = market.maxDealCollateral(provider);
        assertLt(volatile, calm, "each deal needs more collateral");
        assertEq(volatile, 2_000e6 * cf / 10_000);

        // A deal the calm market would back is now refused.
        DealTerms memory t = terms(provider, 1e6, uint128(volatile + 1));
        bytes memory signature = sign(PROVIDER_KEY, t);
        usd.mint(client, 1e6);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientCollateral.selector, volatile + 1, volatile));
        vm.prank(client);
        market.openDeal(t, signature);

        // Calm rounds bring the requirement back down.
        for (uint256 i; i < 60; ++i) {
            setPrice(2e8);
            market.updateVolatility();
        }
        (cf,) = market.effectiveFactors();
        assertGt(cf, 7_950);
        assertGt(market.maxDealCollateral(provider), volatile);
    }

    /// @dev The health factor counts collateral at the effective LT: a volatile market liquidates sooner.
    function test_healthFactorUsesTheEffectiveThreshold() public {
        deposit(provider, 1_000e18); // worth 2,000
        open(terms(provider, 1e6, 1_000e6));
        assertEq(market.healthFactor(provider), 1.8e18); // 2,000 x 0.9 / 1,000
        market.updateVolatility();
        setPrice(1e8);
        market.updateVolatility();
        setPrice(2e8);
        market.updateVolatility(); // a 50% swing: the cut is complete, LT 0.6
        assertEq(market.healthFactor(provider), 1.2e18); // 2,000 x 0.6 / 1,000
    }

    function test_updateVolatility_needsANewRound() public {
        market.updateVolatility();
        (uint80 roundId,,) = market.volatility();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.VolatilityUpToDate.selector, roundId));
        market.updateVolatility();
    }

    function test_updateVolatility_cutIsCompleteAtMaxVolatility() public {
        market.updateVolatility();
        setPrice(1e8); // -50%: far above the 10% maximum
        market.updateVolatility();
        setPrice(2e8);
        market.updateVolatility();
        setPrice(1e8);
        market.updateVolatility();
        (uint256 cf, uint256 lt) = market.effectiveFactors();
        assertEq(cf, 5_000);
        assertEq(lt, 6_000);
    }
}
// forge-lint: disable-end(unsafe-typecast)
