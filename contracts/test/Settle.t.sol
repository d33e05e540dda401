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
        DealState memory d = market.deal(dealId);
        assertEq(uint8(d.status), uint8(DealStatus.Committed));
        assertEq(d.committedAt, block.timestamp);
    }

    function test_commitResult_revertsForUnknownDeal() public {
        DealTerms memory t = defaultTerms();
        bytes32 dealId = market.hashDealTerms(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotFound.selector, dealId));
        vm.prank(provider);
        market.commitResult(t, bytes32(0));
    }

    function test_commitResult_revertsForNonProvider() public {
        (DealTerms memory t,) = openDefault();
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotProvider.selector, client));
        vm.prank(client);
        market.commitResult(t, bytes32(0));
    }

    function test_commitResult_revertsAtDeadline() public {
        (DealTerms memory t,) = openDefault();
        vm.warp(t.deadline);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DeadlinePassed.selector, t.deadline));
        vm.prank(provider);
        market.commitResult(t, bytes32(0));
    }

    function test_commitResult_revertsTwice() public {
        (DealTerms memory t, bytes32 dealId) = openDefault();
        commit(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotOpen.selector, dealId, DealStatus.Committed));
        vm.prank(provider);
        market.commitResult(t, bytes32(0));
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
        assertEq(usd.balanceOf(provider), 99e6);
        assertEq(market.feesAccrued(), 1e6);
        assertEq(pos(provider).obligations, 0);
        assertEq(usd.balanceOf(address(market)), 1e6);
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
        DealTerms[] memory batch = new DealTerms[](5);
        for (uint256 i; i < 3; ++i) batch[i] = a[i];
        for (uint256 i; i < 2; ++i) batch[3 + i] = b[i];
        skip(1 hours);
        vm.recordLogs();
        vm.prank(keeper);
        market.settleMany(batch);
        assertEq(usd.balanceOf(provider), 3 * 9.9e6);
        assertEq(usd.balanceOf(otherProvider), 2 * 9.9e6);
        assertEq(market.feesAccrued(), 5 * 0.1e6);
        assertEq(pos(provider).obligations, 0);
        assertEq(pos(otherProvider).obligations, 0);
        // one token transfer per provider run
        uint256 transfers;
        uint256 settled;
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == keccak256("Transfer(address,address,uint256)")) ++transfers;
            if (logs[i].topics[0] == IAllotMarket.DealSettled.selector) ++settled;
        }
        assertEq(transfers, 2);
        assertEq(settled, 5);
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
        // inside the window only the client may settle; a keeper's call skips everything
        vm.prank(keeper);
        market.settleMany(all);
        assertEq(uint8(statusOf(market.hashDealTerms(batch[0]))), uint8(DealStatus.Committed));
        skip(1 hours);
        vm.prank(keeper);
        market.settleMany(all);
        assertEq(uint8(statusOf(market.hashDealTerms(batch[0]))), uint8(DealStatus.Settled));
        assertEq(uint8(statusOf(market.hashDealTerms(batch[1]))), uint8(DealStatus.Settled));
        assertEq(uint8(statusOf(market.hashDealTerms(openOnly))), uint8(DealStatus.Open));
        assertEq(usd.balanceOf(provider), 2 * 9.9e6);
        assertEq(pos(provider).obligations, 20e6);
    }

    function test_settleMany_clientInsideWindow() public {
        deposit(provider, collateralWorth(2_000e6));
        DealTerms[] memory batch = openCommitted(provider, 2);
        vm.prank(client);
        market.settleMany(batch);
        assertEq(usd.balanceOf(provider), 2 * 9.9e6);
    }

    function test_settleMany_empty() public {
        DealTerms[] memory none = new DealTerms[](0);
        market.settleMany(none);
    }

    function testFuzz_settleMany_interleavedProviders(uint8 count, uint256 pattern) public {
        count = uint8(bound(count, 1, 12));
        deposit(provider, collateralWorth(2_000e6));
        deposit(otherProvider, collateralWorth(2_000e6));
        DealTerms[] memory batch = new DealTerms[](count);
        uint256 expectedFirst;
        for (uint256 i; i < count; ++i) {
            address p = (pattern >> i) & 1 == 0 ? provider : otherProvider;
            batch[i] = terms(p, 10e6, 20e6);
            open(batch[i]);
            commit(batch[i]);
            if (p == provider) expectedFirst += 9.9e6;
        }
        skip(1 hours);
        market.settleMany(batch);
        assertEq(usd.balanceOf(provider), expectedFirst);
        assertEq(usd.balanceOf(otherProvider), uint256(count) * 9.9e6 - expectedFirst);
        assertEq(pos(provider).obligations + pos(otherProvider).obligations, 0);
    }
}
