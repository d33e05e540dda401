// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";

contract DepositCollateralTest is BaseTest {
    function test_depositCollateral_creditsCallerAndPullsTokens() public {
        collateralToken.mint(provider, 10e18);
        vm.expectEmit(address(market));
        emit IAllotMarket.CollateralDeposited(provider, provider, 10e18);
        vm.prank(provider);
        market.depositCollateral(10e18);
        assertEq(pos(provider).collateral, 10e18);
        assertEq(collateralToken.balanceOf(address(market)), 10e18);
    }

    function test_depositCollateralFor_creditsProvider() public {
        collateralToken.mint(keeper, 3e18);
        vm.expectEmit(address(market));
        emit IAllotMarket.CollateralDeposited(provider, keeper, 3e18);
        vm.prank(keeper);
        market.depositCollateralFor(provider, 3e18);
        assertEq(pos(provider).collateral, 3e18);
        assertEq(pos(keeper).collateral, 0);
    }

    function test_depositCollateral_revertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAmount.selector));
        vm.prank(provider);
        market.depositCollateral(0);
    }

    function test_depositCollateralFor_revertsOnZeroProvider() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAddress.selector));
        market.depositCollateralFor(address(0), 1);
    }

    function test_depositCollateral_revertsAboveUint128() public {
        deposit(provider, type(uint128).max);
        collateralToken.mint(provider, 1);
        uint256 total = uint256(type(uint128).max) + 1;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.AmountOverflow.selector, total));
        vm.prank(provider);
        market.depositCollateral(1);
    }

    function test_depositCollateral_revertsWithoutAllowance() public {
        collateralToken.mint(keeper, 1e18);
        vm.prank(keeper);
        collateralToken.approve(address(market), 0);
        vm.expectRevert(
            abi.encodeWithSelector(
                IAllotMarket.TransferFromFailed.selector, address(collateralToken), keeper, 1e18
            )
        );
        vm.prank(keeper);
        market.depositCollateral(1e18);
    }

    function testFuzz_depositCollateral(uint128 a, uint128 b) public {
        a = uint128(bound(a, 1, type(uint128).max / 2));
        b = uint128(bound(b, 1, type(uint128).max / 2));
        deposit(provider, a);
        deposit(provider, b);
        assertEq(pos(provider).collateral, uint256(a) + b);
        assertEq(collateralToken.balanceOf(address(market)), uint256(a) + b);
    }
}

contract RequestWithdrawalTest is BaseTest {
    function test_requestWithdrawal_movesToPending() public {
        deposit(provider, 10e18);
        uint64 at = uint64(block.timestamp + 7 days);
        vm.expectEmit(address(market));
        emit IAllotMarket.WithdrawalRequested(provider, 4e18, 4e18, at);
        vm.prank(provider);
        market.requestWithdrawal(4e18);
        Position memory p = pos(provider);
        assertEq(p.collateral, 6e18);
        assertEq(p.pendingWithdrawal, 4e18);
        assertEq(p.withdrawableAt, at);
    }

    function test_requestWithdrawal_addsAndRestartsClock() public {
        deposit(provider, 10e18);
        vm.prank(provider);
        market.requestWithdrawal(4e18);
        skip(3 days);
        vm.prank(provider);
        market.requestWithdrawal(1e18);
        assertEq(pos(provider).pendingWithdrawal, 5e18);
        assertEq(pos(provider).withdrawableAt, block.timestamp + 7 days);
    }

    function test_requestWithdrawal_revertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAmount.selector));
        vm.prank(provider);
        market.requestWithdrawal(0);
    }

    function test_requestWithdrawal_revertsAboveCollateral() public {
        deposit(provider, 1e18);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.WithdrawalExceedsCollateral.selector, 2e18, 1e18));
        vm.prank(provider);
        market.requestWithdrawal(2e18);
    }

    function test_requestWithdrawal_revertsWhenBreakingCollateralFactor() public {
        (DealTerms memory t,) = openDefault();
        // 2,000 of collateral value backs 500 of obligations: at most 1,375 of value may leave (CF 0.8).
        uint256 amount = collateralWorth(1_500e6);
        uint256 available = (2_000e6 - 1_500e6) * 8 / 10;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientCollateral.selector, t.collateral, available));
        vm.prank(provider);
        market.requestWithdrawal(amount);
        vm.prank(provider);
        market.requestWithdrawal(collateralWorth(1_375e6));
    }

    function test_requestWithdrawal_revertsOnStalePrice() public {
        openDefault();
        skip(2 days);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.StalePrice.selector, block.timestamp - 2 days, 1 days));
        vm.prank(provider);
        market.requestWithdrawal(1);
    }

    function test_requestWithdrawal_needsNoPriceWithoutObligations() public {
        deposit(provider, 1e18);
        skip(2 hours);
        vm.prank(provider);
        market.requestWithdrawal(1e18);
        assertEq(pos(provider).pendingWithdrawal, 1e18);
    }

    function testFuzz_requestWithdrawal_respectsCollateralFactor(uint256 amount, uint256 answer) public {
        answer = bound(answer, 0.5e8, 10e8);
        (DealTerms memory t,) = openDefault();
        setPrice(int256(answer));
        uint256 collateral = pos(provider).collateral;
        amount = bound(amount, 1, collateral);
        vm.prank(provider);
        try market.requestWithdrawal(amount) {
            // what stays free must still back the obligations
            uint256 value = (collateral - amount) * answer / 1e8 / 1e12;
            assertLe(t.collateral, value * 8000 / 10_000);
        } catch (bytes memory reason) {
            assertEq(bytes4(reason), IAllotMarket.InsufficientCollateral.selector);
        }
    }
}

contract CancelWithdrawalTest is BaseTest {
    function test_cancelWithdrawal_returnsPending() public {
        deposit(provider, 10e18);
        vm.prank(provider);
        market.requestWithdrawal(4e18);
        vm.expectEmit(address(market));
        emit IAllotMarket.WithdrawalCancelled(provider, 4e18);
        vm.prank(provider);
        market.cancelWithdrawal();
        Position memory p = pos(provider);
        assertEq(p.collateral, 10e18);
        assertEq(p.pendingWithdrawal, 0);
        assertEq(p.withdrawableAt, 0);
    }

    function test_cancelWithdrawal_revertsWithoutPending() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoPendingWithdrawal.selector));
        vm.prank(provider);
        market.cancelWithdrawal();
    }
}

contract WithdrawTest is BaseTest {
    function test_withdraw_afterUnbonding() public {
        deposit(provider, 10e18);
        vm.prank(provider);
        market.requestWithdrawal(4e18);
        skip(7 days);
        vm.expectEmit(address(market));
        emit IAllotMarket.Withdrawn(provider, 4e18);
        vm.prank(provider);
        market.withdraw();
        assertEq(collateralToken.balanceOf(provider), 4e18);
        assertEq(pos(provider).pendingWithdrawal, 0);
        assertEq(pos(provider).collateral, 6e18);
    }

    function test_withdraw_revertsBeforeUnbonding() public {
        deposit(provider, 10e18);
        vm.prank(provider);
        market.requestWithdrawal(4e18);
        uint64 at = pos(provider).withdrawableAt;
        skip(7 days - 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.WithdrawalLocked.selector, at));
        vm.prank(provider);
        market.withdraw();
    }

    function test_withdraw_revertsWithoutPending() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoPendingWithdrawal.selector));
        vm.prank(provider);
        market.withdraw();
    }

    function test_withdraw_rechecksCollateralFactor() public {
        (DealTerms memory t,) = openDefault();
        vm.prank(provider);
        market.requestWithdrawal(collateralWorth(1_375e6));
        skip(7 days);
        // The price halves: the 625 of value left backs only 250 (at the new price: 312.5 x 0.8).
        feed.setAnswer(1e8);
        uint256 available = 625e6 / 2 * 8 / 10;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientCollateral.selector, t.collateral, available));
        vm.prank(provider);
        market.withdraw();
    }

    function test_withdraw_revertsWhenTransferFails() public {
        deposit(provider, 10e18);
        vm.prank(provider);
        market.requestWithdrawal(4e18);
        skip(7 days);
        // The market's balance shrank out of band (a rebasing token): the payout is refused by name.
        collateralToken.burn(address(market), 10e18);
        vm.expectRevert(
            abi.encodeWithSelector(IAllotMarket.InsufficientMarketBalance.selector, address(collateralToken), 4e18, 0)
        );
        vm.prank(provider);
        market.withdraw();
    }

    function testFuzz_withdraw_roundTrip(uint128 depositAmount, uint128 withdrawAmount, uint32 wait) public {
        depositAmount = uint128(bound(depositAmount, 1, 1e30));
        withdrawAmount = uint128(bound(withdrawAmount, 1, depositAmount));
        wait = uint32(bound(wait, 7 days, 365 days));
        deposit(provider, depositAmount);
        vm.prank(provider);
        market.requestWithdrawal(withdrawAmount);
        skip(wait);
        vm.prank(provider);
        market.withdraw();
        assertEq(collateralToken.balanceOf(provider), withdrawAmount);
        assertEq(collateralToken.balanceOf(address(market)), depositAmount - withdrawAmount);
    }
}
// forge-lint: disable-end(unsafe-typecast)
