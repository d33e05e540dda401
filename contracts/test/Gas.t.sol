// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import "./utils/BaseTest.sol";

/// @dev Steady-state gas of the happy path: the second deal between the same parties, approvals done,
/// every balance already non-zero. Each call runs as its own transaction (isolate), so storage is cold as on
/// a chain. `snapshotGasLastCall` reports execution gas; a receipt adds 21,000 plus calldata, estimated here
/// with EIP-2028 prices (and the EIP-7623 floor, which these calls stay above).
/// forge-config: default.isolate = true
abstract contract GasTest is BaseTest {
    uint256 internal constant TX_BASE = 21_000;

    function group() internal pure virtual returns (string memory);

    function calldataGas(bytes memory data) internal pure returns (uint256 gas) {
        for (uint256 i; i < data.length; ++i) {
            gas += data[i] == 0 ? 4 : 16;
        }
    }

    function receiptGas(uint256 execution, bytes memory data) internal pure returns (uint256) {
        return TX_BASE + calldataGas(data) + execution;
    }

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

    function test_gas_openCommitSettle() public {
        prime();
        DealTerms memory t = defaultTerms();
        bytes memory signature = sign(PROVIDER_KEY, t);

        vm.prank(client);
        market.openDeal(t, signature);
        uint256 openGas = vm.snapshotGasLastCall(group(), "openDeal");
        vm.prank(provider);
        market.commitResult(t, keccak256("result"));
        uint256 commitGas = vm.snapshotGasLastCall(group(), "commitResult");
        vm.prank(client);
        market.settle(t);
        uint256 settleGas = vm.snapshotGasLastCall(group(), "settle");

        uint256 total = receiptGas(openGas, abi.encodeCall(IAllotMarket.openDeal, (t, signature)))
            + receiptGas(commitGas, abi.encodeCall(IAllotMarket.commitResult, (t, keccak256("result"))))
            + receiptGas(settleGas, abi.encodeCall(IAllotMarket.settle, (t)));
        emit log_named_uint("openDeal execution", openGas);
        emit log_named_uint("commitResult execution", commitGas);
        emit log_named_uint("settle execution", settleGas);
        emit log_named_uint("open+commit+settle receipts (est.)", total);
        assertLt(total, 200_000, "open+commit+settle over target");
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
        vm.prank(keeper);
        market.settleMany(batch);
        uint256 gas = vm.snapshotGasLastCall(group(), "settleMany20");
        uint256 receipt = receiptGas(gas, abi.encodeCall(IAllotMarket.settleMany, (batch)));
        emit log_named_uint("settleMany(20) receipt (est.)", receipt);
        emit log_named_uint("settleMany per deal", receipt / 20);
        assertLt(receipt / 20, 30_000, "settleMany per deal over target");
        for (uint256 i; i < 20; ++i) {
            assertEq(uint8(statusOf(market.hashDealTerms(batch[i]))), uint8(DealStatus.Settled));
        }
    }

    function test_gas_liquidateDeal() public {
        prime();
        collateralToken.mint(keeper, 1);
        usd.mint(keeper, 1);
        DealTerms memory t = defaultTerms();
        open(t);
        vm.warp(t.deadline);
        if (!sameToken()) setPrice(INITIAL_ANSWER);
        vm.prank(keeper);
        market.liquidateDeal(t);
        uint256 gas = vm.snapshotGasLastCall(group(), "liquidateDeal");
        uint256 receipt = receiptGas(gas, abi.encodeCall(IAllotMarket.liquidateDeal, (t)));
        emit log_named_uint("liquidateDeal receipt (est.)", receipt);
        assertLt(receipt, 100_000, "liquidateDeal over target");
    }
}

contract GasTwoTokensTest is GasTest {
    function group() internal pure override returns (string memory) {
        return "twoTokens";
    }
}

contract GasSameTokenTest is GasTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }

    function group() internal pure override returns (string memory) {
        return "sameToken";
    }
}
