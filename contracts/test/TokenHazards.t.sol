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
        Position memory a = pos(provider);
        Position memory b = pos(otherProvider);
        uint256 owed = a.collateral + a.pendingWithdrawal + a.coverage + b.collateral + b.pendingWithdrawal + b.coverage
            + market.feesAccrued() + market.insuranceFund() + market.insuranceCollateral()
            + market.claimable(address(usd), provider) + market.claimable(address(usd), otherProvider)
            + market.claimable(address(usd), client) + market.claimable(address(usd), keeper);
        assertGe(usd.balanceOf(address(market)), owed);
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
        DealTerms[] memory batch = new DealTerms[](2);
        batch[0] = a;
        batch[1] = b;
        vm.expectEmit(address(market));
        emit IAllotMarket.PayoutCredited(address(blt), provider, 99e6);
        market.settleMany(batch);
        assertEq(blt.balanceOf(otherProvider), 99e6);
        assertEq(market.claimable(address(blt), provider), 99e6);
        assertSolvent();

        // still blocked: claim reverts and the credit stays
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TransferFailed.selector, address(blt), provider, 99e6));
        vm.prank(provider);
        market.claim(address(blt));

        blt.setBlocked(provider, false);
        vm.expectEmit(address(market));
        emit IAllotMarket.Claimed(address(blt), provider, 99e6);
        vm.prank(provider);
        market.claim(address(blt));
        assertEq(blt.balanceOf(provider), 99e6);
        assertEq(market.claimable(address(blt), provider), 0);
    }

    function test_blocklistedClientStillGetsLiquidated() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        blt.setBlocked(client, true);
        vm.warp(t.deadline);
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(market.claimable(address(blt), client), 600e6);
        assertEq(blt.balanceOf(keeper), 25e6);
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
        rft.setRefused(provider, true);
        vm.prank(client);
        market.settle(t);
        assertEq(market.claimable(address(rft), provider), 99e6);
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

    function test_reentrantSettleIsRefusedAndCredited() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        commit(t);
        // On the payout, the token calls settle again for the same deal.
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.settle, (t)), false);
        vm.prank(client);
        market.settle(t);
        // The payout transfer reverted with Reentrancy, so it was credited once; nothing was paid twice.
        assertEq(market.claimable(address(cbt), provider), 99e6);
        assertEq(cbt.balanceOf(provider), 0);
        assertEq(cbt.balanceOf(address(market)), 2_000e6 + 100e6);
        assertSolvent();
    }

    function test_reentrantClaimIsRefused() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        commit(t);
        // the callback swallows the failure, so the outer transfer succeeds
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.claim, (address(cbt))), true);
        vm.prank(client);
        market.settle(t);
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

    function test_reentrantLiquidationDuringLiquidation() public {
        deposit(provider, 2_000e6);
        DealTerms memory t = defaultTerms();
        open(t);
        vm.warp(t.deadline);
        cbt.arm(address(market), abi.encodeCall(IAllotMarket.liquidateDeal, (t)), true);
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(bytes4(cbt.lastRevert()), IAllotMarket.Reentrancy.selector);
        assertEq(cbt.balanceOf(client), 600e6);
        assertEq(cbt.balanceOf(keeper), 25e6);
        assertSolvent();
    }
}
