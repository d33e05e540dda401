// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import "./utils/BaseTest.sol";

contract CommitResultTest is BaseTest {
    function test_commitResult_recordsTime() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        skip(10 minutes);
        vm.expectEmit(address(market));
        emit IAllotMarket.ResultCommitted(dealId, keccak256("result"));
        commit(t);
        DealState memory d = dealOf(t);
        assertEq(uint8(d.status), uint8(DealStatus.Committed));
        assertEq(d.time, block.timestamp);
        // price and collateral stay in the slot for settleMany
        assertEq(d.price, t.price);
        assertEq(d.collateral, t.collateral);
    }

    function test_openDeal_storesDeadlineAndAmounts() public {
        (DealTerms memory t,) = openDefault();
        DealState memory d = dealOf(t);
        assertEq(uint8(d.status), uint8(DealStatus.Open));
        assertEq(d.time, t.deadline);
        assertEq(d.price, t.price);
        assertEq(d.collateral, t.collateral);
    }

    function test_commitResult_revertsForUnknownDeal() public {
        DealTerms memory t = defaultTerms();
        bytes32 dealId = market.hashDealTerms(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotFound.selector, dealId));
        vm.prank(provider);
        market.commitResult(dealId, bytes32(0));
    }

    /// @dev Deals are kept under their provider: any other caller finds no such deal.
    function test_commitResult_revertsForNonProvider() public {
        (, bytes32 dealId) = openDefault();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotFound.selector, dealId));
        vm.prank(client);
        market.commitResult(dealId, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotFound.selector, dealId));
        vm.prank(otherProvider);
        market.commitResult(dealId, bytes32(0));
    }

    function test_commitResult_revertsAtDeadline() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DeadlinePassed.selector, t.deadline));
        vm.prank(provider);
        market.commitResult(dealId, bytes32(0));
    }

    function test_commitResult_revertsTwice() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotOpen.selector, dealId, DealStatus.Committed));
        vm.prank(provider);
        market.commitResult(dealId, bytes32(0));
    }
}

contract SettleTest is BaseTest {
    function test_settle_byClientAtOnce() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        vm.expectEmit(address(market));
        emit IAllotMarket.DealSettled(dealId, provider, 99e6, 1e6);
        vm.prank(client);
        market.settle(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Settled));
        // Credited, not sent: the price waits in the provider's earnings; the fee is taken on withdrawal.
        assertEq(usd.balanceOf(provider), 0);
        assertEq(pos(provider).earnings, 100e6);
        assertEq(pos(provider).obligations, 0);
        assertEq(usd.balanceOf(address(market)), 100e6);
        vm.expectEmit(address(market));
        emit IAllotMarket.EarningsWithdrawn(provider, 99e6, 1e6);
        vm.prank(provider);
        market.withdrawEarnings();
        assertEq(usd.balanceOf(provider), 99e6);
        assertEq(pos(provider).earnings, 0);
        assertEq(market.feesAccrued(), 1e6);
        assertEq(usd.balanceOf(address(market)), 1e6);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoEarnings.selector, provider));
        vm.prank(provider);
        market.withdrawEarnings();
    }

    function test_settle_clientCreditPaysNextDeal() public {
        deposit(provider, collateralWorth(2_000e6));
        usd.mint(client, 250e6);
        vm.prank(client);
        market.depositPayment(250e6);
        assertEq(market.claimable(address(usd), client), 250e6);
        DealTerms memory t = defaultTerms();
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.prank(client);
        market.openDeal(t, signature);
        // paid from the credit: no transfer, the market's balance is unchanged
        assertEq(market.claimable(address(usd), client), 150e6);
        assertEq(usd.balanceOf(address(market)), 250e6);
        // a credit short of the price is left alone and the whole price is pulled
        DealTerms memory u = terms(provider, 200e6, 100e6);
        bytes32 uid = open(u);
        assertEq(market.claimable(address(usd), client), 150e6);
        assertEq(usd.balanceOf(address(market)), 450e6);
        assertEq(uint8(statusOf(uid)), uint8(DealStatus.Open));
        cashOut(client);
        assertEq(usd.balanceOf(client), 150e6);
    }

    function test_settle_byAnyoneAfterWindow() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        uint256 endsAt = block.timestamp + 1 hours;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ChallengeWindowOpen.selector, endsAt));
        vm.prank(keeper);
        market.settle(t);
        vm.warp(endsAt);
        vm.prank(keeper);
        market.settle(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Settled));
        cashOut(provider);
        assertEq(usd.balanceOf(provider), 99e6);
    }

    function test_settle_revertsWhenNotCommitted() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotCommitted.selector, dealId, DealStatus.Open));
        vm.prank(client);
        market.settle(t);
    }

    function test_settle_revertsTwice() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        vm.prank(client);
        market.settle(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotCommitted.selector, dealId, DealStatus.Settled));
        vm.prank(client);
        market.settle(t);
    }

    function test_settle_revertsForUnknownDeal() public {
        DealTerms memory t = defaultTerms();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotFound.selector, market.hashDealTerms(t)));
        market.settle(t);
    }

    function testFuzz_settle_splitsPrice(uint128 price, uint16 feeBps) public {
        price = uint128(bound(price, 1, 1e30));
        feeBps = uint16(bound(feeBps, 0, 1000));
        Parameters memory p = defaultParameters();
        p.protocolFeeBps = feeBps;
        useParameters(p);
        deposit(provider, collateralWorth(2_000e6));
        DealTerms memory t = terms(provider, price, 100e6);
        open(t);
        commit(t);
        vm.prank(client);
        market.settle(t);
        cashOut(provider);
        uint256 fee = uint256(price) * feeBps / 10_000;
        assertEq(usd.balanceOf(provider), price - fee);
        assertEq(market.feesAccrued(), fee);
        assertEq(usd.balanceOf(address(market)), fee);
    }
}

contract SettleManyTest is BaseTest {
    function openCommitted(address provider_, uint256 count) internal returns (DealTerms[] memory batch) {
        batch = new DealTerms[](count);
        for (uint256 i; i < count; ++i) {
            batch[i] = terms(provider_, 10e6, 20e6);
            open(batch[i]);
            commit(batch[i]);
        }
    }

    function test_settleMany_settlesAndAggregates() public {
        deposit(provider, collateralWorth(2_000e6));
        deposit(otherProvider, collateralWorth(2_000e6));
        DealTerms[] memory a = openCommitted(provider, 3);
        DealTerms[] memory b = openCommitted(otherProvider, 2);
        skip(1 hours);
        bytes32[] memory ids = idsOf(a);
        vm.recordLogs();
        vm.prank(keeper);
        market.settleMany(provider, ids);
        // one event for the provider's run, no transfer, one credit
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1);
        assertEq(logs[0].topics[0], IAllotMarket.DealsSettled.selector);
        assertEq(logs[0].topics[1], bytes32(uint256(uint160(provider))));
        (bytes32[] memory settled, uint256 total) = abi.decode(logs[0].data, (bytes32[], uint256));
        assertEq(settled.length, 3);
        assertEq(settled[2], ids[2]);
        assertEq(total, 30e6);
        assertEq(pos(provider).earnings, 30e6);
        assertEq(pos(provider).obligations, 0);
        // the other provider's deals are not this provider's: skipped
        vm.prank(keeper);
        market.settleMany(provider, idsOf(b));
        assertEq(pos(otherProvider).obligations, 40e6);
        vm.prank(keeper);
        market.settleMany(otherProvider, idsOf(b));
        assertEq(pos(otherProvider).obligations, 0);
        cashOut(provider);
        cashOut(otherProvider);
        assertEq(usd.balanceOf(provider), 3 * 9.9e6);
        assertEq(usd.balanceOf(otherProvider), 2 * 9.9e6);
        assertEq(market.feesAccrued(), 5 * 0.1e6);
    }

    function test_settleMany_skipsUnsettleable() public {
        deposit(provider, collateralWorth(2_000e6));
        DealTerms[] memory batch = openCommitted(provider, 2);
        DealTerms memory openOnly = terms(provider, 10e6, 20e6);
        open(openOnly);
        DealTerms memory unknown = terms(provider, 10e6, 20e6);
        DealTerms[] memory all = new DealTerms[](5);
        all[0] = batch[0];
        all[1] = openOnly;
        all[2] = unknown;
        all[3] = batch[1];
        all[4] = batch[0]; // duplicate: settled once
        bytes32[] memory ids = idsOf(all);
        // inside the window nothing is settleable here (the client settles early with `settle`)
        vm.recordLogs();
        vm.prank(keeper);
        market.settleMany(provider, ids);
        assertEq(vm.getRecordedLogs().length, 0);
        assertEq(uint8(statusOf(ids[0])), uint8(DealStatus.Committed));
        skip(1 hours);
        vm.prank(keeper);
        market.settleMany(provider, ids);
        assertEq(uint8(statusOf(ids[0])), uint8(DealStatus.Settled));
        assertEq(uint8(statusOf(ids[3])), uint8(DealStatus.Settled));
        assertEq(uint8(statusOf(ids[1])), uint8(DealStatus.Open));
        assertEq(pos(provider).earnings, 20e6);
        assertEq(pos(provider).obligations, 20e6);
        cashOut(provider);
        assertEq(usd.balanceOf(provider), 2 * 9.9e6);
    }

    function test_settleMany_empty() public {
        bytes32[] memory none = new bytes32[](0);
        market.settleMany(provider, none);
        assertEq(pos(provider).earnings, 0);
    }

    function testFuzz_settleMany_feeOnTheSum(uint8 count, uint128 price) public {
        count = uint8(bound(count, 1, 12));
        price = uint128(bound(price, 1, 1e12));
        deposit(provider, collateralWorth(2_000e6));
        DealTerms[] memory batch = new DealTerms[](count);
        for (uint256 i; i < count; ++i) {
            batch[i] = terms(provider, price, 20e6);
            open(batch[i]);
            commit(batch[i]);
        }
        skip(1 hours);
        market.settleMany(provider, idsOf(batch));
        uint256 gross = uint256(count) * price;
        assertEq(pos(provider).earnings, gross);
        cashOut(provider);
        // the fee is taken once, on the sum: at least the per-deal fees, at most one unit a deal more
        uint256 fee = gross / 100;
        assertEq(usd.balanceOf(provider), gross - fee);
        assertEq(market.feesAccrued(), fee);
        assertGe(fee, uint256(count) * (price / 100));
        assertLe(fee, uint256(count) * (price / 100) + count);
        assertEq(pos(provider).obligations, 0);
    }
}
