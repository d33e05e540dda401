// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";
import {ShortAnswerFeed} from "./mocks/TestTokens.sol";

contract LiquidateDealTest is BaseTest {
    function test_liquidateDeal_pastDeadline() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline);
        setPrice(INITIAL_ANSWER);
        vm.expectEmit(address(market));
        emit IAllotMarket.DealLiquidated(dealId, keeper, 100e6, 500e6, 25e6, 50e6, 0, vestedUntil());
        vm.prank(keeper);
        market.liquidateDeal(t);

        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidated));
        // The refund is the client's own payment: claimable at once. What the provider paid vests.
        assertEq(market.claimable(address(usd), client), 100e6);
        assertEq(market.claimable(address(collateralToken), client), 0);
        assertEq(vestingOf(address(collateralToken), client), 250e18);
        assertEq(vestingOf(address(collateralToken), keeper), 12.5e18);
        assertEq(market.insuranceCollateral(), 25e18);
        Position memory p = pos(provider);
        assertEq(p.obligations, 0);
        assertEq(p.collateral, 1_000e18 - 287.5e18);
        // Credited, not sent: the market holds the credits until the client and the keeper claim them.
        assertEq(usd.balanceOf(address(market)), 100e6);
        assertEq(collateralToken.balanceOf(address(market)), p.collateral + 25e18 + 250e18 + 12.5e18);
        cashOut(client);
        assertEq(usd.balanceOf(client), 100e6);
        assertEq(collateralToken.balanceOf(client), 0);
        cashOutAfterVesting(client);
        cashOutAfterVesting(keeper);
        assertEq(collateralToken.balanceOf(client), 250e18);
        assertEq(collateralToken.balanceOf(keeper), 12.5e18);
        assertEq(usd.balanceOf(address(market)), 0);
        assertEq(collateralToken.balanceOf(address(market)), p.collateral + 25e18);
    }

    function test_liquidateDeal_revertsBeforeDeadline() public {
        (DealTerms memory t,) = openDefault();
        vm.warp(t.deadline - 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DeadlineNotReached.selector, t.deadline));
        market.liquidateDeal(t);
    }

    function test_liquidateDeal_revertsForCommittedOrFinal() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotLiquidatable.selector, dealId, DealStatus.Committed));
        market.liquidateDeal(t);

        DealTerms memory u = defaultTerms();
        u.deadline = uint64(block.timestamp + 1 hours);
        setPrice(INITIAL_ANSWER);
        bytes32 uid = open(u);
        vm.warp(u.deadline);
        setPrice(INITIAL_ANSWER);
        market.liquidateDeal(u);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotLiquidatable.selector, uid, DealStatus.Liquidated));
        market.liquidateDeal(u);
    }

    function test_liquidateDeal_revertsForUnknownDeal() public {
        DealTerms memory t = defaultTerms();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotFound.selector, market.hashDealTerms(t)));
        market.liquidateDeal(t);
    }

    function test_liquidateDeal_stalePriceDefersCollateralPart() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline + 1); // the feed was last updated over a day ago
        vm.expectEmit(address(market));
        emit IAllotMarket.DealLiquidated(dealId, keeper, 100e6, 0, 0, 0, 500e6, vestedUntil());
        vm.prank(keeper);
        market.liquidateDeal(t);
        // the refund never waits for the oracle
        assertEq(market.claimable(address(usd), client), 100e6);
        DealState memory d = dealOf(t);
        assertEq(uint8(d.status), uint8(DealStatus.Liquidating));
        assertEq(d.collateral, 500e6);
        assertEq(pos(provider).obligations, 500e6);

        // nothing more can happen until the price is fresh
        uint256 updatedAt = block.timestamp - 1 days - 1;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.StalePrice.selector, updatedAt, 1 days));
        market.liquidateDeal(t);

        setPrice(INITIAL_ANSWER);
        vm.expectEmit(address(market));
        emit IAllotMarket.DealLiquidated(dealId, keeper, 0, 500e6, 25e6, 50e6, 0, vestedUntil());
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidated));
        assertEq(market.claimable(address(usd), client), 100e6);
        assertEq(vestingOf(address(collateralToken), client), 250e18);
        assertEq(vestingOf(address(collateralToken), keeper), 12.5e18);
        assertEq(pos(provider).obligations, 0);
    }

    function test_liquidateDeal_invalidPriceDefers() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline);
        setPrice(-1);
        market.liquidateDeal(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidating));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidPrice.selector, int256(-1)));
        market.liquidateDeal(t);
    }

    function test_liquidateDeal_revertingFeedDefers() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline);
        feed.setReverts(true);
        market.liquidateDeal(t);
        assertEq(market.claimable(address(usd), client), 100e6);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidating));
        vm.expectRevert();
        market.liquidateDeal(t);
        feed.setReverts(false);
        setPrice(INITIAL_ANSWER);
        market.liquidateDeal(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidated));
    }

    function test_liquidateDeal_malformedFeedAnswerDefers() public {
        ShortAnswerFeed shortFeed = new ShortAnswerFeed();
        MarketConfig memory c = config();
        c.priceFeed = IAggregatorV3(address(shortFeed));
        market = new AllotMarket(c);
        vm.prank(client);
        usd.approve(address(market), type(uint256).max);
        vm.prank(provider);
        collateralToken.approve(address(market), type(uint256).max);
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline);
        shortFeed.refresh();
        shortFeed.setShort(true);
        market.liquidateDeal(t);
        assertEq(market.claimable(address(usd), client), 100e6);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidating));
    }

    function test_liquidateDeal_coverageFirstThenDeferred() public {
        deposit(provider, 1_000e18);
        DealTerms memory t = terms(provider, 100e6, 1_600e6);
        bytes32 dealId = open(t);
        setPrice(1.6e8); // HF 0.9: all uncovered obligations may be covered at once
        usd.mint(liquidator, 400e6);
        vm.prank(liquidator);
        market.liquidatePosition(provider, 400e6);
        assertEq(pos(provider).coverage, 400e6);

        vm.warp(t.deadline + 1); // stale
        vm.prank(keeper);
        market.liquidateDeal(t);
        // Coverage is the provider's backing too: what it pays vests like collateral.
        assertEq(market.claimable(address(usd), client), 100e6);
        assertEq(vestingOf(address(usd), client), 400e6);
        assertEq(pos(provider).coverage, 0);
        assertEq(pos(provider).obligations, 1_200e6);
        assertEq(dealOf(t).collateral, 1_200e6);

        setPrice(1.6e8);
        // The position liquidation took no bonus (no equity at 1.60): 750 tokens left, worth the 1,200 owed.
        uint256 left = pos(provider).collateral;
        assertEq(left, 750e18);
        market.liquidateDeal(t);
        assertEq(market.badDebt(), 0);
        assertEq(vestingOf(address(collateralToken), client), left);
        assertEq(pos(provider).collateral, 0);
        assertEq(pos(provider).obligations, 0);
    }

    function test_liquidateDeal_pendingWithdrawalIsSlashable() public {
        deposit(provider, 1_000e18);
        DealTerms memory t = defaultTerms();
        open(t);
        vm.prank(provider);
        market.requestWithdrawal(400e18);
        vm.warp(t.deadline);
        setPrice(0.8e8);
        market.liquidateDeal(t);
        Position memory p = pos(provider);
        assertEq(p.collateral, 0);
        assertEq(p.pendingWithdrawal, 281.25e18);
        assertEq(vestingOf(address(collateralToken), client), 625e18);
    }

    function test_liquidateDeal_insuranceThenShortfall() public {
        deposit(provider, 500e18);
        DealTerms memory t = terms(provider, 100e6, 800e6);
        bytes32 dealId = open(t);
        usd.mint(owner, 200e6);
        vm.prank(owner);
        market.fundInsurance(200e6);
        vm.warp(t.deadline);
        setPrice(1e8);
        vm.expectEmit(address(market));
        emit IAllotMarket.DealLiquidated(dealId, address(this), 100e6, 700e6, 0, 0, 0, vestedUntil());
        vm.expectEmit(address(market));
        emit IAllotMarket.InsuranceUsed(dealId, 200e6, 0);
        vm.expectEmit(address(market));
        emit IAllotMarket.CompensationShortfall(dealId, client, 100e6);
        market.liquidateDeal(t);
        // The fund's top-up is claimable at once; the provider's collateral vests.
        assertEq(market.claimable(address(usd), client), 300e6);
        assertEq(market.claimable(address(collateralToken), client), 0);
        assertEq(vestingOf(address(collateralToken), client), 500e18);
        assertEq(market.insuranceFund(), 0);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidated));
        assertEq(pos(provider).obligations, 0);
    }

    function test_liquidateDeal_insuranceCollateralWaitsForPrice() public {
        // A first default leaves 25e18 collateral tokens in the insurance fund.
        (DealTerms memory first,) = openDefault();
        usd.mint(owner, 15e6);
        vm.prank(owner);
        market.fundInsurance(15e6);
        deposit(otherProvider, 50e18);
        DealTerms memory u1 = terms(otherProvider, 10e6, 40e6);
        DealTerms memory u2 = terms(otherProvider, 10e6, 40e6);
        open(u1);
        bytes32 id2 = open(u2);
        vm.warp(first.deadline);
        setPrice(INITIAL_ANSWER);
        market.liquidateDeal(first);
        assertEq(market.insuranceCollateral(), 25e18);

        // The provider is drained by u1 (worth 25 at 0.50); the fund's payment tokens cover the other 15.
        setPrice(0.5e8);
        market.liquidateDeal(u1);
        assertEq(pos(otherProvider).collateral, 0);
        assertEq(market.insuranceFund(), 0);

        // u2 while stale: the refund goes out, the fund's collateral waits for a price.
        skip(2 days);
        market.liquidateDeal(u2);
        assertEq(uint8(statusOf(id2)), uint8(DealStatus.Liquidating));
        assertEq(dealOf(u2).collateral, 40e6);
        assertEq(pos(otherProvider).obligations, 40e6);

        setPrice(0.5e8);
        vm.expectEmit(address(market));
        emit IAllotMarket.InsuranceUsed(id2, 0, 25e18);
        vm.expectEmit(address(market));
        emit IAllotMarket.CompensationShortfall(id2, client, 27.5e6);
        market.liquidateDeal(u2);
        assertEq(uint8(statusOf(id2)), uint8(DealStatus.Liquidated));
        assertEq(market.insuranceCollateral(), 0);
        assertEq(pos(otherProvider).obligations, 0);
    }

    function testFuzz_liquidateDeal_conservesValue(uint256 answer, uint128 collateral, uint32 late) public {
        deposit(provider, 1_000e18);
        collateral = uint128(bound(collateral, 0, 1_600e6));
        DealTerms memory t = terms(provider, 100e6, collateral);
        open(t);
        answer = bound(answer, 1e6, 100e8);
        late = uint32(bound(late, 0, 30 days));
        vm.warp(uint256(t.deadline) + late);
        setPrice(int256(answer));
        market.liquidateDeal(t);
        // each token: held == owed
        cashOutAfterVesting(client);
        cashOutAfterVesting(address(this));
        Position memory p = pos(provider);
        assertEq(collateralToken.balanceOf(address(market)), p.collateral + p.pendingWithdrawal + market.insuranceCollateral());
        assertEq(usd.balanceOf(address(market)), p.coverage + market.insuranceFund());
        assertEq(p.obligations, 0);
        // the client got its price back and the compensation, up to what the provider had
        assertEq(usd.balanceOf(client), 100e6);
        uint256 value = collateralToken.balanceOf(client) * answer / 1e8 / 1e12;
        uint256 providerValue = uint256(1_000e18) * answer / 1e8 / 1e12;
        uint256 expected = collateral < providerValue ? collateral : providerValue;
        assertApproxEqAbs(value, expected, 1);
    }
}

contract LiquidateDealSameTokenTest is BaseTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }

    function test_liquidateDeal_sameTokenOneCredit() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline + 30 days); // no oracle: never stale
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidated));
        // One token: the refund is claimable, the compensation and the bonus vest.
        assertEq(market.claimable(address(usd), client), 100e6);
        assertEq(vestingOf(address(usd), client), 500e6);
        assertEq(vestingOf(address(usd), keeper), 25e6);
        assertEq(market.insuranceCollateral(), 50e6);
        assertEq(pos(provider).collateral, 2_000e6 - 575e6);
        assertEq(usd.balanceOf(address(market)), 2_000e6 - 575e6 + 50e6 + 600e6 + 25e6);
        cashOutAfterVesting(client);
        cashOutAfterVesting(keeper);
        assertEq(usd.balanceOf(client), 600e6);
        assertEq(usd.balanceOf(keeper), 25e6);
        assertEq(usd.balanceOf(address(market)), 2_000e6 - 575e6 + 50e6);
    }
}
// forge-lint: disable-end(unsafe-typecast)
