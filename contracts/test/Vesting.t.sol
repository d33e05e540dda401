// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";

/// @dev What a deal liquidation takes from a provider vests (`Vesting`); `claim` pays it once unlocked. One token
/// (no oracle), so that time can pass freely: a deal of 10 with 100 of compensation, 5 of keeper bonus.
contract VestingTest is BaseTest {
    uint256 internal unbonding;

    function sameToken() internal pure override returns (bool) {
        return true;
    }

    function setUp() public override {
        super.setUp();
        unbonding = market.parameters().unbondingPeriod;
        deposit(provider, 100_000e6);
    }

    /// @dev A minimum-length deal that the provider lets pass its deadline, liquidated by the keeper.
    function defaultOnce() internal returns (uint64 unlockAt) {
        DealTerms memory t = terms(provider, 10e6, 100e6);
        t.deadline = uint64(block.timestamp + 60);
        open(t);
        vm.warp(t.deadline);
        unlockAt = vestedUntil();
        vm.expectEmit(address(market));
        emit IAllotMarket.DealLiquidated(market.hashDealTerms(t), keeper, 10e6, 100e6, 5e6, 10e6, 0, unlockAt);
        vm.prank(keeper);
        market.liquidateDeal(t);
    }

    function claimAs(address who) internal returns (uint256 received) {
        uint256 before = usd.balanceOf(who);
        vm.prank(who);
        market.claim(address(usd));
        return usd.balanceOf(who) - before;
    }

    function test_vesting_refundAtOnceCompensationLater() public {
        uint64 unlockAt = defaultOnce();
        assertEq(market.claimable(address(usd), client), 10e6, "the refund is claimable at once");
        Vesting[2] memory buckets = market.vesting(address(usd), client);
        uint256 index = (unlockAt / unbonding) % 2;
        assertEq(buckets[index].amount, 100e6);
        assertEq(buckets[index].unlockAt, unlockAt);
        assertEq(buckets[1 - index].amount, 0);
        assertEq(vestingOf(address(usd), keeper), 5e6);

        assertEq(claimAs(client), 10e6);
        vm.warp(unlockAt - 1);
        vm.expectRevert(
            abi.encodeWithSelector(IAllotMarket.CreditVesting.selector, address(usd), client, 100e6, unlockAt)
        );
        vm.prank(client);
        market.claim(address(usd));
        vm.warp(unlockAt);
        assertEq(claimAs(client), 100e6);
        assertEq(claimAs(keeper), 5e6);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NothingToClaim.selector, address(usd), client));
        vm.prank(client);
        market.claim(address(usd));
    }

    /// @dev Credits wait at least one unbonding period and at most two, wherever in its window the liquidation
    /// falls.
    function testFuzz_vesting_lastsOneToTwoUnbondingPeriods(uint32 wait) public {
        vm.warp(block.timestamp + bound(wait, 0, 365 days));
        uint64 unlockAt = defaultOnce();
        assertGe(unlockAt, block.timestamp + unbonding);
        assertLe(unlockAt, block.timestamp + 2 * unbonding);
        vm.warp(unlockAt - 1);
        assertEq(claimAs(client), 10e6, "only the refund before");
        vm.warp(unlockAt);
        assertEq(claimAs(client), 100e6, "the compensation from unlockAt");
    }

    /// @dev A new credit in the next window goes to the other bucket and does not push back the first: a keeper
    /// that liquidates all the time is still paid, one window after another.
    function test_vesting_busyKeeperIsPaidWindowByWindow() public {
        uint64 first = defaultOnce();
        vm.warp(first - unbonding); // the next window
        uint64 second = defaultOnce();
        assertEq(second, first + unbonding);
        assertEq(vestingOf(address(usd), keeper), 10e6);

        vm.warp(first);
        assertEq(claimAs(keeper), 5e6, "the first window's bonus");
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.CreditVesting.selector, address(usd), keeper, 5e6, second));
        vm.prank(keeper);
        market.claim(address(usd));

        // Liquidating about 28 times a window for four windows, claiming whenever a window begins: what is not
        // yet paid never exceeds the bonuses of the last two windows.
        uint256 step = unbonding / 28;
        uint256 paid = 5e6;
        uint256 credited = 10e6;
        uint256 window = block.timestamp / unbonding;
        uint256 end = block.timestamp + 4 * unbonding;
        while (block.timestamp < end) {
            defaultOnce();
            credited += 5e6;
            skip(step);
            if (block.timestamp / unbonding != window) {
                window = block.timestamp / unbonding;
                paid += claimAs(keeper);
                assertLe(credited - paid, 2 * 29 * 5e6, "the keeper's bonuses wait two windows at most");
            }
        }
        assertGe(paid, credited - 2 * 29 * 5e6);
        vm.warp(vestedUntil());
        paid += claimAs(keeper);
        assertEq(paid, credited);
    }

    /// @dev A bucket a new window reuses has unlocked; left unclaimed, it moves to `claimable` and is not delayed.
    function test_vesting_unclaimedBucketMovesToClaimable() public {
        uint64 first = defaultOnce();
        vm.warp(first); // two windows later: the same bucket again
        assertEq(market.claimable(address(usd), keeper), 0);
        uint64 third = defaultOnce();
        assertEq(third, first + 2 * unbonding);
        assertEq(market.claimable(address(usd), keeper), 5e6, "the unlocked bonus stays claimable");
        assertEq(vestingOf(address(usd), keeper), 5e6, "only the new bonus vests");
        assertEq(claimAs(keeper), 5e6);
    }

    /// @dev A client's credit pays its next deal, but not a vesting one: an accomplice cannot hand the provider's
    /// collateral on as the price of a deal with another provider.
    function test_vesting_doesNotPayDeals() public {
        defaultOnce();
        vm.prank(client);
        market.claim(address(usd)); // the refund
        assertEq(vestingOf(address(usd), client), 100e6);
        deposit(otherProvider, 1_000e6);
        DealTerms memory t = terms(otherProvider, 50e6, 10e6);
        bytes memory signature = sign(OTHER_PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TransferFromFailed.selector, address(usd), client, 50e6));
        vm.prank(client);
        market.openDeal(t, signature);
    }
}
