// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import "./utils/BaseTest.sol";

/// @dev Steady-state gas of the happy path: the second deal between the same parties, approvals done,
/// every balance already non-zero. Each call runs as its own transaction (isolate), so storage is cold as on
/// a chain, and `snapshotGasLastCall` then reports what a receipt would: 21,000 + calldata + execution.
abstract contract GasTest is BaseTest {
    function group() internal pure virtual returns (string memory);

    function prime() internal returns (DealTerms memory t) {
        deposit(provider, collateralWorth(100_000e6));
        usd.mint(client, 1_000_000e6);
        usd.mint(provider, 1);
        t = defaultTerms();
        open(t);
        commit(t);
        vm.prank(client);
        market.settle(t);
    }

    /// @dev The client keeps a credit in the market (`depositPayment`), which pays the deal: no transfer at all.
    function test_gas_openCommitSettle() public {
        prime();
        vm.prank(client);
        market.depositPayment(500e6);
        lifecycle("", 150_000);
    }

    /// @dev The client has no credit: the price is pulled at opening.
    function test_gas_openCommitSettlePulled() public {
        prime();
        lifecycle("Pulled", 170_000);
    }

    function lifecycle(string memory suffix, uint256 target) internal {
        DealTerms memory t = defaultTerms();
        bytes memory signature = sign(PROVIDER_KEY, t);
        bytes32 dealId = market.hashDealTerms(t);

        vm.prank(client);
        market.openDeal(t, signature);
        uint256 openGas = vm.snapshotGasLastCall(group(), string.concat("openDeal", suffix));
        vm.prank(provider);
        market.commitResult(dealId, keccak256("result"));
        uint256 commitGas = vm.snapshotGasLastCall(group(), string.concat("commitResult", suffix));
        vm.prank(client);
        market.settle(t);
        uint256 settleGas = vm.snapshotGasLastCall(group(), string.concat("settle", suffix));

        uint256 total = openGas + commitGas + settleGas;
        emit log_named_uint("openDeal", openGas);
        emit log_named_uint("commitResult", commitGas);
        emit log_named_uint("settle", settleGas);
        emit log_named_uint("open+commit+settle", total);
        assertLe(total, target, "open+commit+settle over target");
    }

    function test_gas_settleMany20() public {
        prime();
        DealTerms[] memory batch = new DealTerms[](20);
        for (uint256 i; i < 20; ++i) {
            batch[i] = defaultTerms();
            open(batch[i]);
            commit(batch[i]);
        }
        skip(1 hours);
        bytes32[] memory ids = idsOf(batch);
        vm.prank(keeper);
        market.settleMany(provider, ids);
        uint256 gas = vm.snapshotGasLastCall(group(), "settleMany20");
        emit log_named_uint("settleMany(20)", gas);
        emit log_named_uint("settleMany per deal", gas / 20);
        assertLe(gas / 20, 8_000, "settleMany per deal over target");
        for (uint256 i; i < 20; ++i) {
            assertEq(uint8(statusOf(market.hashDealTerms(batch[i]))), uint8(DealStatus.Settled));
        }
    }

    /// @dev The second liquidation between the same parties: client, keeper and insurance balances exist.
    function test_gas_liquidateDeal() public {
        prime();
        DealTerms memory first = defaultTerms();
        open(first);
        DealTerms memory t = defaultTerms();
        open(t);
        vm.warp(t.deadline);
        if (!sameToken()) setPrice(INITIAL_ANSWER);
        vm.prank(keeper);
        market.liquidateDeal(first);
        vm.prank(keeper);
        market.liquidateDeal(t);
        uint256 gas = vm.snapshotGasLastCall(group(), "liquidateDeal");
        emit log_named_uint("liquidateDeal", gas);
        assertLe(gas, 80_000, "liquidateDeal over target");
    }
}

/// forge-config: default.isolate = true
contract GasTwoTokensTest is GasTest {
    function group() internal pure override returns (string memory) {
        return "twoTokens";
    }
}

/// forge-config: default.isolate = true
contract GasSameTokenTest is GasTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }

    function group() internal pure override returns (string memory) {
        return "sameToken";
    }
}
