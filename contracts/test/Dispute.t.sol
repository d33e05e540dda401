// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import "./utils/BaseTest.sol";

contract DisputeTest is BaseTest {
    DealTerms internal t;
    bytes32 internal dealId;

    function setUp() public override {
        super.setUp();
        (t, dealId) = openDefault();
        commit(t);
        usd.mint(client, 10e6);
    }

    function test_dispute_pullsBond() public {
        vm.expectEmit(address(market));
        emit IAllotMarket.DealDisputed(dealId, client, 10e6);
        vm.prank(client);
        market.dispute(t);
        DealState memory d = dealOf(t);
        assertEq(uint8(d.status), uint8(DealStatus.Disputed));
        assertEq(d.time, block.timestamp);
        assertEq(usd.balanceOf(address(market)), 110e6);
        assertEq(usd.balanceOf(client), 0);
    }

    function test_dispute_revertsForNonClient() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotClient.selector, keeper));
        vm.prank(keeper);
        market.dispute(t);
    }

    function test_dispute_revertsAfterWindow() public {
        uint256 endsAt = block.timestamp + 1 hours;
        vm.warp(endsAt);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ChallengeWindowClosed.selector, endsAt));
        vm.prank(client);
        market.dispute(t);
    }

    function test_dispute_revertsWhenNotCommitted() public {
        vm.prank(client);
        market.dispute(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotCommitted.selector, dealId, DealStatus.Disputed));
        vm.prank(client);
        market.dispute(t);
    }

    function test_dispute_blocksSettlement() public {
        vm.prank(client);
        market.dispute(t);
        skip(2 hours);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotCommitted.selector, dealId, DealStatus.Disputed));
        market.settle(t);
    }

    function test_dispute_zeroBond() public {
        Parameters memory p = defaultParameters();
        p.disputeBondBps = 0;
        useParameters(p);
        (t, dealId) = openDefault();
        commit(t);
        vm.prank(client);
        market.dispute(t);
        assertEq(usd.balanceOf(client), 10e6);
    }

    function test_resolveDispute_providerAtFault() public {
        vm.prank(client);
        market.dispute(t);
        vm.expectEmit(address(market));
        emit IAllotMarket.DisputeResolved(dealId, true, 10e6);
        vm.prank(arbiter);
        market.resolveDispute(t, true);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Defaulted));
        assertEq(usd.balanceOf(client), 10e6);
        // then liquidatable at once, deadline or not
        vm.prank(keeper);
        market.liquidateDeal(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Liquidated));
        cashOutAfterVesting(client);
        assertEq(usd.balanceOf(client), 110e6);
        assertEq(collateralToken.balanceOf(client), collateralWorth(500e6));
    }

    function test_resolveDispute_providerNotAtFault() public {
        vm.prank(client);
        market.dispute(t);
        vm.expectEmit(address(market));
        emit IAllotMarket.DisputeResolved(dealId, false, 10e6);
        vm.expectEmit(address(market));
        emit IAllotMarket.DealSettled(dealId, provider, 99e6, 1e6);
        vm.prank(arbiter);
        market.resolveDispute(t, false);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Settled));
        assertEq(usd.balanceOf(provider), 10e6);
        assertEq(pos(provider).earnings, 100e6);
        cashOut(provider);
        assertEq(usd.balanceOf(provider), 99e6 + 10e6);
        assertEq(market.feesAccrued(), 1e6);
        assertEq(pos(provider).obligations, 0);
        assertEq(usd.balanceOf(address(market)), 1e6);
    }

    function test_resolveDispute_revertsForNonArbiter() public {
        vm.prank(client);
        market.dispute(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotArbiter.selector, client));
        vm.prank(client);
        market.resolveDispute(t, false);
    }

    function test_resolveDispute_revertsWhenNotDisputed() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealNotDisputed.selector, dealId, DealStatus.Committed));
        vm.prank(arbiter);
        market.resolveDispute(t, true);
    }

    function testFuzz_dispute_bond(uint128 price, uint16 bondBps) public {
        price = uint128(bound(price, 1, 1e24));
        bondBps = uint16(bound(bondBps, 0, 10_000));
        Parameters memory p = defaultParameters();
        p.disputeBondBps = bondBps;
        useParameters(p);
        deposit(provider, collateralWorth(2_000e6));
        DealTerms memory u = terms(provider, price, 1e6);
        bytes32 id = open(u);
        commit(u);
        uint256 bond = (uint256(price) * bondBps + 9_999) / 10_000;
        usd.mint(client, bond);
        vm.prank(client);
        market.dispute(u);
        assertEq(uint8(statusOf(id)), uint8(DealStatus.Disputed));
        vm.prank(arbiter);
        market.resolveDispute(u, false);
        uint256 before = usd.balanceOf(provider);
        cashOut(provider);
        assertEq(usd.balanceOf(provider) - before, price - uint256(price) / 100);
        assertEq(before, bond);
    }
}
