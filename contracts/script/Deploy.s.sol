// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Script, console2} from "forge-std/Script.sol";
import {AllotMarket} from "../src/AllotMarket.sol";
import {AllotMarketFactory} from "../src/AllotMarketFactory.sol";
import {Parameters, MarketConfig} from "../src/interfaces/IAllotMarket.sol";
import {IERC20} from "../src/interfaces/IERC20.sol";
import {IAggregatorV3} from "../src/interfaces/IAggregatorV3.sol";
import {MockERC20} from "../src/mocks/MockERC20.sol";
import {MockPriceFeed} from "../src/mocks/MockPriceFeed.sol";

/// @notice Deploys mock tokens, a mock feed, the factory and a market with the default parameters
/// (contracts/params/defaultMarket.json, the same file the TypeScript deploy and the tests read) on a local chain.
/// @dev Environment (all optional):
///   PRIVATE_KEY    deployer (default: anvil account 0)
///   ARBITER        arbiter address (default: the deployer)
///   FEE_RECIPIENT  fee recipient (default: the deployer)
///   SAME_TOKEN     "true": one 6-decimal token for payment and collateral, no feed
///   PRICE          feed answer with 8 decimals (default 2e8: one collateral token = 2.00 payment units)
///   MINT_TO        comma-separated addresses that get 1,000,000 of each token
/// Run: forge script contracts/script/Deploy.s.sol --rpc-url http://127.0.0.1:8545 --broadcast
contract Deploy is Script {
    uint256 internal constant ANVIL_KEY_0 = 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80;

    function defaultParameters() public view returns (Parameters memory p) {
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

    function run()
        external
        returns (AllotMarketFactory factory, AllotMarket market, MockERC20 payment, MockERC20 collateral, MockPriceFeed feed)
    {
        uint256 key = vm.envOr("PRIVATE_KEY", ANVIL_KEY_0);
        address deployer = vm.addr(key);
        address arbiter = vm.envOr("ARBITER", deployer);
        address feeRecipient = vm.envOr("FEE_RECIPIENT", deployer);
        bool sameToken = vm.envOr("SAME_TOKEN", false);
        int256 price = vm.envOr("PRICE", int256(2e8));
        address[] memory mintTo = vm.envOr("MINT_TO", ",", new address[](0));
        Parameters memory params = defaultParameters();

        vm.startBroadcast(key);
        payment = new MockERC20("Mock USD", "mUSD", 6);
        if (sameToken) {
            collateral = payment;
        } else {
            collateral = new MockERC20("Mock Collateral", "mCOL", 18);
            feed = new MockPriceFeed(8, price, "mCOL / mUSD");
        }
        factory = new AllotMarketFactory(keccak256(type(AllotMarket).creationCode));
        market = AllotMarket(
            factory.createMarket(
                type(AllotMarket).creationCode,
                MarketConfig({
                    paymentToken: IERC20(address(payment)),
                    collateralToken: IERC20(address(collateral)),
                    priceFeed: IAggregatorV3(address(feed)),
                    arbiter: arbiter,
                    feeRecipient: feeRecipient,
                    params: params
                })
            )
        );
        for (uint256 i; i < mintTo.length; ++i) {
            payment.mint(mintTo[i], 1_000_000e6);
            if (!sameToken) collateral.mint(mintTo[i], 1_000_000e18);
        }
        vm.stopBroadcast();

        console2.log("AllotMarketFactory", address(factory));
        console2.log("AllotMarket", address(market));
        console2.log("paymentToken", address(payment));
        console2.log("collateralToken", address(collateral));
        console2.log("priceFeed", address(feed));
    }
}
