// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import "./utils/BaseTest.sol";
import {FeeOnTransferToken, BlocklistToken, ReturnsFalseToken, CallbackToken} from "./mocks/TestTokens.sol";

/// @dev Markets over hostile tokens, one token for payment and collateral (no feed).
abstract contract HazardBase is BaseTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }

    /// @dev Rebuilds the market over `token` and gives every actor an approval and a balance.
    function useToken(MockERC20 token) internal {
        usd = token;
        collateralToken = token;
        market = new AllotMarket(config());
        address[6] memory actors = [client, provider, otherProvider, keeper, liquidator, owner];
        for (uint256 i; i < actors.length; ++i) {
            vm.prank(actors[i]);
            token.approve(address(market), type(uint256).max);
        }
    }

    function assertSolvent() internal view {
        uint256 owed = claims(pos(provider)) + claims(pos(otherProvider)) + market.feesAccrued() + market.insuranceFund()
            + market.insuranceCollateral() + credited(address(usd), provider) + credited(address(usd), otherProvider)
            + credited(address(usd), client) + credited(address(usd), keeper);
        assertGe(usd.balanceOf(address(market)), owed);
    }

    /// @dev What a position is owed by the market: its collateral, coverage and credited earnings.
    function claims(Position memory p) internal pure returns (uint256) {
        return uint256(p.collateral) + p.pendingWithdrawal + p.coverage + p.earnings;
    }
}

contract FeeOnTransferTest is HazardBase {
    FeeOnTransferToken internal fot;

    function setUp() public override {
        super.setUp();
        fot = new FeeOnTransferToken();
        useToken(fot);
    }

    function test_feeOnTransfer_depositRefused() public {
        fot.setFee(100);
        fot.mint(provider, 1_000e6);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.FeeOnTransferUnsupported.selector, 1_000e6, 990e6));
        vm.prank(provider);
        market.depositCollateral(1_000e6);
        assertEq(fot.balanceOf(address(market)), 0);
    }

    function test_feeOnTransfer_openDealRefused() public {
        deposit(provider, 2_000e6);
        fot.setFee(50);
        DealTerms memory t = defaultTerms();
        bytes memory signature = sign(PROVIDER_KEY, t);
        fot.mint(client, t.price);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.FeeOnTransferUnsupported.selector, 100e6, 99.5e6));
        vm.prank(client);
        market.openDeal(t, signature);
        assertEq(pos(provider).obligations, 0);
        assertEq(fot.balanceOf(address(market)), 2_000e6);
    }
}

contract BlocklistTest is HazardBase {
    BlocklistToken internal blt;

    function setUp() public override {
        super.setUp();
        blt = new BlocklistToken(6);
        useToken(blt);
    }

    /// @dev Earnings are pulled by each provider, so a blocked one can only block its own withdrawal.
    function test_blocklistedProviderDoesNotBlockOthers() public {
        deposit(provider, 2_000e6);
        deposit(otherProvider, 2_000e6);
        DealTerms memory a = terms(provider, 100e6, 100e6);
        DealTerms memory b = terms(otherProvider, 100e6, 100e6);
        open(a);
        open(b);
        commit(a);
        commit(b);
        blt.setBlocked(provider, true);
        skip(1 hours);
        bytes32[] memory ids = new bytes32[](1);
        ids[0] = market.hashDealTerms(a);
        market.settleMany(provider, ids);
        ids[0] = market.hashDealTerms(b);
        market.settleMany(otherProvider, ids);
        vm.prank(otherProvider);
        market.withdrawEarnings();
        assertEq(blt.balanceOf(otherProvider), 99e6);
        assertEq(pos(provider).earnings, 100e6);
        assertSolvent();

        // still blocked: the withdrawal reverts and the earnings stay
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TransferFailed.selector, address(blt), provider, 99e6));
        vm.prank(provider);
        market.withdrawEarnings();
        assertEq(pos(provider).earnings, 100e6);

        blt.setBlocked(provider, false);
        vm.prank(provider);
        market.withdrawEarnings();
        assertEq(blt.balanceOf(provider), 99e6);
        assertEq(pos(provider).earnings, 0);
        assertSolvent();
    }

    function test_blocklistedClientClaimsLater() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        commit(t);
        blt.mint(client, 10e6);
        vm.prank(client);
        market.dispute(t);
        skip(3 days);
        blt.setBlocked(client, true);
        // the refund of an expired dispute is a transfer: it fails and is credited
        vm.expectEmit(address(market));
        emit IAllotMarket.PayoutCredited(address(blt), client, 110e6);
        market.closeExpiredDispute(t);
        assertEq(market.claimable(address(blt), client), 110e6);
        assertSolvent();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TransferFailed.selector, address(blt), client, 110e6));
        vm.prank(client);
        market.claim(address(blt));
        blt.setBlocked(client, false);
        vm.expectEmit(address(market));
        emit IAllotMarket.Claimed(address(blt), client, 110e6);
        vm.prank(client);
        market.claim(address(blt));
        assertEq(market.claimable(address(blt), client), 0);
    }

    function test_blocklistedClientStillGetsLiquidated() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        blt.setBlocked(client, true);
        vm.warp(t.deadline);
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(market.claimable(address(blt), client), 100e6);
        assertEq(vestingOf(address(blt), client), 500e6);
        assertEq(vestingOf(address(blt), keeper), 25e6);
        assertSolvent();
    }
}

contract ReturnsFalseTest is HazardBase {
    ReturnsFalseToken internal rft;

    function setUp() public override {
        super.setUp();
        rft = new ReturnsFalseToken();
        useToken(rft);
    }

    function test_falseReturnIsCredited() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        commit(t);
        usd.mint(client, 10e6);
        vm.prank(client);
        market.dispute(t);
        rft.setRefused(provider, true);
        // not at fault: the bond is paid to the provider, whose token refuses it
        vm.prank(arbiter);
        market.resolveDispute(t, false);
        assertEq(market.claimable(address(rft), provider), 10e6);
        assertEq(pos(provider).earnings, 100e6);
        assertEq(rft.balanceOf(provider), 0);
        assertSolvent();
    }
}

contract ReentrancyTest is HazardBase {
    CallbackToken internal cbt;

    function setUp() public override {
        super.setUp();
        cbt = new CallbackToken(6);
        useToken(cbt);
    }

    function settled() internal returns (DealTerms memory t) {
        deposit(provider, 2_000e6);
        t = defaultTerms();
        open(t);
        commit(t);
        vm.prank(client);
        market.settle(t);
    }

    function test_reentrantWithdrawEarningsIsRefused() public {
        settled();
        // On the payout, the token calls withdrawEarnings again.
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.withdrawEarnings, ()), true);
        vm.prank(provider);
        market.withdrawEarnings();
        assertEq(bytes4(cbt.lastRevert()), IAllotMarket.Reentrancy.selector);
        assertEq(cbt.balanceOf(provider), 99e6);
        assertEq(pos(provider).earnings, 0);
        assertEq(cbt.balanceOf(address(market)), 2_000e6 + 1e6);
        assertSolvent();
    }

    function test_reentrantClaimIsRefused() public {
        settled();
        // the callback swallows the failure, so the outer transfer succeeds
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.claim, (address(cbt))), true);
        vm.prank(provider);
        market.withdrawEarnings();
        assertFalse(cbt.lastCallSucceeded());
        assertEq(bytes4(cbt.lastRevert()), IAllotMarket.Reentrancy.selector);
        assertEq(cbt.balanceOf(provider), 99e6);
        assertSolvent();
    }

    function test_reentrantWithdrawDuringDeposit() public {
        deposit(provider, 1_000e6);
        vm.prank(provider);
        market.requestWithdrawal(500e6);
        skip(7 days);
        cbt.mint(provider, 10e6);
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.withdraw, ()), false);
        vm.expectRevert(
            abi.encodeWithSelector(IAllotMarket.TransferFromFailed.selector, address(cbt), provider, 10e6)
        );
        vm.prank(provider);
        market.depositCollateral(10e6);
        cbt.disarm();
        assertEq(pos(provider).pendingWithdrawal, 500e6);
        assertSolvent();
    }

    /// @dev liquidateDeal takes no lock (it makes no transfer): run inside another call's transfer, it finds that
    /// call's effects written and credits once.
    function test_liquidationInsideClaimCreditsOnce() public {
        deposit(provider, 2_000e6);
        DealTerms memory first = defaultTerms();
        DealTerms memory second = defaultTerms();
        open(first);
        open(second);
        vm.warp(second.deadline);
        vm.prank(keeper);
        market.liquidateDeal(first);
        assertEq(market.claimable(address(cbt), client), 100e6);
        assertEq(vestingOf(address(cbt), client), 500e6);
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.liquidateDeal, (second)), true);
        vm.prank(client);
        market.claim(address(cbt));
        assertTrue(cbt.lastCallSucceeded());
        assertEq(cbt.balanceOf(client), 100e6);
        assertEq(market.claimable(address(cbt), client), 100e6);
        assertEq(vestingOf(address(cbt), client), 1_000e6);
        assertEq(uint8(statusOf(market.hashDealTerms(second))), uint8(DealStatus.Liquidated));
        cbt.disarm();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAllotMarket.DealNotLiquidatable.selector, market.hashDealTerms(second), DealStatus.Liquidated
            )
        );
        market.liquidateDeal(second);
        assertSolvent();
    }
}
