// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Vm} from "forge-std/Vm.sol";
import {Parameters} from "../src/interfaces/IAllotMarket.sol";

/// @notice Reads contracts/params/defaultMarket.json, the one definition of the default market's parameters
/// (the TypeScript deploy imports the same file), for the deploy script and the tests.
library DefaultParameters {
    function read(Vm vm) internal view returns (Parameters memory p) {
        string memory json = vm.readFile(string.concat(vm.projectRoot(), "/contracts/params/defaultMarket.json"));
        p.collateralFactorBps = uint16(vm.parseJsonUint(json, ".collateralFactorBps"));
        p.liquidationThresholdBps = uint16(vm.parseJsonUint(json, ".liquidationThresholdBps"));
        p.liquidationBonusBps = uint16(vm.parseJsonUint(json, ".liquidationBonusBps"));
        p.keeperBonusBps = uint16(vm.parseJsonUint(json, ".keeperBonusBps"));
        p.insuranceBps = uint16(vm.parseJsonUint(json, ".insuranceBps"));
        p.protocolFeeBps = uint16(vm.parseJsonUint(json, ".protocolFeeBps"));
        p.disputeBondBps = uint16(vm.parseJsonUint(json, ".disputeBondBps"));
        p.challengeWindow = uint32(vm.parseJsonUint(json, ".challengeWindow"));
        p.unbondingPeriod = uint32(vm.parseJsonUint(json, ".unbondingPeriod"));
        p.maxPriceAge = uint32(vm.parseJsonUint(json, ".maxPriceAge"));
        p.arbitrationWindow = uint32(vm.parseJsonUint(json, ".arbitrationWindow"));
        p.minDealDuration = uint32(vm.parseJsonUint(json, ".minDealDuration"));
        p.volatilityWeightBps = uint16(vm.parseJsonUint(json, ".volatilityWeightBps"));
        p.maxVolatilityBps = uint16(vm.parseJsonUint(json, ".maxVolatilityBps"));
        p.minCollateralFactorBps = uint16(vm.parseJsonUint(json, ".minCollateralFactorBps"));
    }
}
