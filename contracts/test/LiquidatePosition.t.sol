// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";

contract LiquidatePositionTest is BaseTest {
    DealTerms internal t;

    /// @dev 1,000 collateral tokens (worth 2,000) back a 1,600 deal, the most CF 0.8 allows.
    function setUp() public override {
        super.setUp();
        deposit(provider, 1_000e18);
        t = terms(provider, 100e6, 1_600e6);
        open(t);
        usd.mint(liquidator, 10_000e6);
    }

    function test_healthFactor() public {
        assertEq(market.healthFactor(provider), 1.125e18); // 2,000 x 0.9 / 1,600
        assertEq(market.healthFactor(keeper), type(uint256).max);
        setPrice(1.6e8);
        assertEq(market.healthFactor(provider), 0.9e18);
    }

    function test_liquidatePosition_halfWhenMildlyUnhealthy() public {
        setPrice(1.7e8); // HF = 1,700 x 0.9 / 1,600 = 0.95625
        // 800 (asked for more: clamped to the close factor) buys 840 of collateral at 1.70
        uint256 seized = uint256(840e6) * 1e20 / 1.7e8;
        vm.expectEmit(address(market));
        emit IAllotMarket.PositionLiquidated(provider, liquidator, 800e6, seized);
        vm.prank(liquidator);
        market.liquidatePosition(provider, 800e6 + 1);
        Position memory p = pos(provider);
        assertEq(p.coverage, 800e6);
        assertEq(p.collateral, 1_000e18 - seized);
        assertEq(collateralToken.balanceOf(liquidator), seized);
        assertEq(usd.balanceOf(address(market)), 100e6 + 800e6);
        assertGt(market.healthFactor(provider), 0.95625e18);
    }

    function test_liquidatePosition_fullWhenVeryUnhealthy() public {
        setPrice(1.6e8); // HF 0.9
        vm.prank(liquidator);
        // No equity above the obligations (1,600 against 1,600): no bonus, 1,500 buys 1,500 of collateral.
        market.liquidatePosition(provider, 1_500e6);
        Position memory p = pos(provider);
        assertEq(p.coverage, 1_500e6);
        assertEq(p.collateral, 1_000e18 - 937.5e18);
        assertGt(market.healthFactor(provider), 0.9e18); // the position is healthier than before
    }

    function test_liquidatePosition_revertsWhenHealthy() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.PositionHealthy.selector, 1.125e18));
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1);
    }

    function test_liquidatePosition_revertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAmount.selector));
        market.liquidatePosition(provider, 0);
    }

    function test_liquidatePosition_revertsOnStalePrice() public {
        skip(1 days + 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.StalePrice.selector, block.timestamp - 1 days - 1, 1 days));
        market.liquidatePosition(provider, 1);
    }

    function test_liquidatePosition_capsAtAvailableCollateral() public {
        setPrice(0.5e8); // collateral worth 500 against 1,600
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1_600e6);
        // all 1,000 tokens (worth 500) at par: no equity, no bonus
        uint256 paid = 500e6;
        assertEq(pos(provider).collateral, 0);
        assertEq(pos(provider).coverage, paid);
        assertEq(collateralToken.balanceOf(liquidator), 1_000e18);
        assertEq(usd.balanceOf(liquidator), 10_000e6 - paid);

        vm.roll(block.number + 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoCollateralToSeize.selector, provider));
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1);
    }

    function test_liquidatePosition_revertsWhenNothingIsWorthPaying() public {
        setPrice(1); // 1,000e18 tokens worth 0.00001 -> 10 units; amount shrinks below one unit
        vm.prank(liquidator);
        market.liquidatePosition(provider, 100e6);
        // the provider's collateral is gone for 10 units of coverage
        assertEq(pos(provider).collateral, 0);
        assertEq(pos(provider).coverage, 10);
    }

    function test_liquidatePosition_takesPendingAfterFree() public {
        // more collateral, then most of it requested for withdrawal
        deposit(provider, 500e18);
        vm.prank(provider);
        market.requestWithdrawal(500e18);
        setPrice(1e8); // HF = 1,500 x 0.9 / 1,600 = 0.84: pending collateral counts, and is seized
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1_200e6); // no equity: seizes 1,200 tokens, 1,000 free, 200 pending
        Position memory p = pos(provider);
        assertEq(p.collateral, 0);
        assertEq(p.pendingWithdrawal, 300e18);
    }

    function test_coverageReleasedOnSettle() public {
        setPrice(1.6e8);
        vm.prank(liquidator);
        market.liquidatePosition(provider, 400e6);
        commit(t);
        setPrice(1.6e8);
        vm.expectEmit(address(market));
        emit IAllotMarket.CoverageReleased(provider, 400e6);
        vm.prank(client);
        market.settle(t);
        // the released coverage is credited, the price goes to the earnings
        assertEq(market.claimable(address(usd), provider), 400e6);
        assertEq(pos(provider).earnings, 100e6);
        cashOut(provider);
        assertEq(usd.balanceOf(provider), 99e6 + 400e6);
        assertEq(pos(provider).coverage, 0);
        assertEq(pos(provider).obligations, 0);
    }

    function test_coverageBacksNewDeals() public {
        setPrice(1.6e8);
        vm.prank(liquidator);
        market.liquidatePosition(provider, 1_600e6);
        // 1,600 of coverage backs the open deal by itself; no collateral is left to back more.
        uint256 left = pos(provider).collateral;
        assertEq(market.maxDealCollateral(provider), left * 1.6e8 / 1e20 * 8 / 10);
    }

    function testFuzz_liquidatePosition(uint256 answer, uint256 amount) public {
        answer = bound(answer, 0.1e8, 1.77e8); // HF < 1 below 1.777..
        setPrice(int256(answer));
        uint256 hf = market.healthFactor(provider);
        uint256 maxAmount = hf < 0.95e18 ? 1_600e6 : 800e6;
        amount = bound(amount, 1, maxAmount);
        uint256 before = collateralToken.balanceOf(address(market));
        vm.prank(liquidator);
        market.liquidatePosition(provider, amount);
        Position memory p = pos(provider);
        uint256 seized = before - collateralToken.balanceOf(address(market));
        assertEq(collateralToken.balanceOf(liquidator), seized);
        assertEq(p.collateral, 1_000e18 - seized);
        assertLe(p.coverage, p.obligations);
        assertEq(usd.balanceOf(address(market)), 100e6 + p.coverage);
        // the liquidator never gets more than 105% of what it paid
        assertLe(seized * answer / 1e20, p.coverage * 10_500 / 10_000);
    }
}
// forge-lint: disable-end(unsafe-typecast)
