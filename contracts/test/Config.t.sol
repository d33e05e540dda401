// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";
import {MathLib} from "../src/libraries/MathLib.sol";

contract MathHarness {
    function mulDivDown(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return MathLib.mulDivDown(x, y, d);
    }

    function mulDivUp(uint256 x, uint256 y, uint256 d) external pure returns (uint256) {
        return MathLib.mulDivUp(x, y, d);
    }
}

contract ConstructorTest is BaseTest {
    function test_constructor_setsEverything() public view {
        assertEq(address(market.paymentToken()), address(usd));
        assertEq(address(market.collateralToken()), address(collateralToken));
        assertEq(address(market.priceFeed()), address(feed));
        assertEq(market.arbiter(), arbiter);
        assertEq(market.feeRecipient(), feeRecipient);
        assertEq(abi.encode(market.parameters()), abi.encode(defaultParameters()));
        (uint256 price, uint256 updatedAt) = market.collateralPrice();
        assertEq(price, 2e8);
        assertEq(updatedAt, block.timestamp);
        assertTrue(factory.isMarket(address(market)));
        assertEq(factory.marketOf(keccak256(abi.encode(config()))), address(market));
        assertEq(factory.marketCount(), 1);
    }

    function test_factory_oneMarketPerConfig() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarketFactory.MarketExists.selector, address(market)));
        createMarket(config());
        // Other parameters: another market, created by anyone.
        MarketConfig memory c = config();
        c.params.collateralFactorBps = 7_000;
        vm.prank(keeper);
        AllotMarket other = createMarket(c);
        assertTrue(address(other) != address(market));
        assertEq(factory.markets().length, 2);
        assertEq(other.parameters().collateralFactorBps, 7_000);
    }

    function test_factory_refusesOtherCode() public {
        bytes memory code = abi.encodePacked(type(AllotMarket).creationCode, hex"00");
        vm.expectRevert(
            abi.encodeWithSelector(
                IAllotMarketFactory.UnknownMarketCode.selector, keccak256(code), keccak256(type(AllotMarket).creationCode)
            )
        );
        factory.createMarket(code, config());
    }

    function test_constructor_revertsOnNonContractToken() public {
        MarketConfig memory c = config();
        c.paymentToken = IERC20(makeAddr("eoa"));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotAContract.selector, address(c.paymentToken)));
        createMarket(c);
        c = config();
        c.collateralToken = IERC20(makeAddr("eoa"));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotAContract.selector, address(c.collateralToken)));
        createMarket(c);
        c = config();
        c.priceFeed = IAggregatorV3(makeAddr("eoa"));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotAContract.selector, address(c.priceFeed)));
        createMarket(c);
    }

    function test_constructor_revertsOnZeroArbiterOrFeeRecipient() public {
        MarketConfig memory c = config();
        c.arbiter = address(0);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAddress.selector));
        createMarket(c);
        c = config();
        c.feeRecipient = address(0);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAddress.selector));
        createMarket(c);
    }

    function test_constructor_revertsOnFeedMismatch() public {
        MarketConfig memory c = config();
        c.priceFeed = IAggregatorV3(address(0));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidPriceFeed.selector, address(0)));
        createMarket(c);
        c = config();
        c.collateralToken = c.paymentToken;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidPriceFeed.selector, address(feed)));
        createMarket(c);
    }

    function test_constructor_revertsOnTooManyDecimals() public {
        MarketConfig memory c = config();
        MockERC20 wide = new MockERC20("W", "W", 19);
        c.collateralToken = IERC20(address(wide));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TooManyDecimals.selector, address(wide), 19, 18));
        createMarket(c);
        // 77 and more combined decimals used to overflow 10 ** n: now each part is refused by name.
        c = config();
        MockERC20 huge = new MockERC20("H", "H", 77);
        c.paymentToken = IERC20(address(huge));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TooManyDecimals.selector, address(huge), 77, 18));
        createMarket(c);
        c = config();
        MockPriceFeed f = new MockPriceFeed(40, 1, "F");
        c.priceFeed = IAggregatorV3(address(f));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.TooManyDecimals.selector, address(f), 40, 18));
        createMarket(c);
    }

    function test_constructor_revertsOnUnreadableDecimals() public {
        MarketConfig memory c = config();
        // A contract without `decimals()`: the factory itself.
        c.collateralToken = IERC20(address(factory));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DecimalsUnreadable.selector, address(factory)));
        createMarket(c);
    }

    /// @dev 6/18/8 decimals is the default; here every combination prices one whole collateral token at 2.50.
    function testFuzz_constructor_decimals(uint8 paymentDecimals, uint8 collateralDecimals, uint8 feedDecimals)
        public
    {
        paymentDecimals = uint8(bound(paymentDecimals, 0, 18));
        collateralDecimals = uint8(bound(collateralDecimals, 0, 18));
        feedDecimals = uint8(bound(feedDecimals, 2, 18));
        MockERC20 pay = new MockERC20("P", "P", paymentDecimals);
        MockERC20 col = new MockERC20("C", "C", collateralDecimals);
        MockPriceFeed f = new MockPriceFeed(feedDecimals, int256(25 * 10 ** (feedDecimals - 1)), "C/P");
        MarketConfig memory c = config();
        c.paymentToken = IERC20(address(pay));
        c.collateralToken = IERC20(address(col));
        c.priceFeed = IAggregatorV3(address(f));
        AllotMarket m = createMarket(c);
        col.mint(provider, 4 * 10 ** collateralDecimals);
        vm.startPrank(provider);
        col.approve(address(m), type(uint256).max);
        m.depositCollateral(4 * 10 ** collateralDecimals);
        vm.stopPrank();
        // 4 tokens x 2.50 = 10 payment tokens
        assertEq(m.collateralValue(provider), 10 * 10 ** paymentDecimals);
    }
}

contract ParametersTest is BaseTest {
    function expectBounds(Parameters memory p, bytes32 name, uint256 value, uint256 min, uint256 max) internal {
        MarketConfig memory c = config();
        c.params = p;
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ParameterOutOfBounds.selector, name, value, min, max));
        createMarket(c);
    }

    function test_createMarket_enforcesEveryBound() public {
        Parameters memory p = defaultParameters();
        p.collateralFactorBps = 999;
        expectBounds(p, "collateralFactorBps", 999, 1_000, 9_500);

        p = defaultParameters();
        p.liquidationThresholdBps = 8_000;
        expectBounds(p, "liquidationThresholdBps", 8_000, 8_001, 9_900);
        p.liquidationThresholdBps = 9_901;
        expectBounds(p, "liquidationThresholdBps", 9_901, 8_001, 9_900);

        p = defaultParameters();
        p.liquidationBonusBps = 1_112; // LT 0.9 x 1.1112 >= 1
        expectBounds(p, "liquidationBonusBps", 1_112, 0, 1_111);

        p = defaultParameters();
        p.collateralFactorBps = 1_000;
        p.keeperBonusBps = 2_001;
        expectBounds(p, "keeperBonusBps", 2_001, 0, 2_000);

        p = defaultParameters();
        p.collateralFactorBps = 1_000;
        p.insuranceBps = 5_001;
        expectBounds(p, "insuranceBps", 5_001, 0, 5_000);

        p = defaultParameters();
        p.protocolFeeBps = 1_001;
        expectBounds(p, "protocolFeeBps", 1_001, 0, 1_000);

        p = defaultParameters();
        p.disputeBondBps = 10_001;
        expectBounds(p, "disputeBondBps", 10_001, 0, 10_000);

        p = defaultParameters();
        p.challengeWindow = 59;
        expectBounds(p, "challengeWindow", 59, 60, 30 days);

        p = defaultParameters();
        p.unbondingPeriod = 90 days + 1;
        expectBounds(p, "unbondingPeriod", 90 days + 1, 1 hours, 90 days);

        p = defaultParameters();
        p.maxPriceAge = 0;
        expectBounds(p, "maxPriceAge", 0, 60, 7 days);

        p = defaultParameters();
        p.arbitrationWindow = 59 minutes;
        expectBounds(p, "arbitrationWindow", 59 minutes, 1 hours, 30 days);

        p = defaultParameters();
        p.minDealDuration = 59;
        expectBounds(p, "minDealDuration", 59, 60, 30 days);

        p = defaultParameters();
        p.volatilityWeightBps = 10_001;
        expectBounds(p, "volatilityWeightBps", 10_001, 0, 10_000);

        p = defaultParameters();
        p.maxVolatilityBps = 9;
        expectBounds(p, "maxVolatilityBps", 9, 10, 10_000);

        p = defaultParameters();
        p.minCollateralFactorBps = 8_001;
        expectBounds(p, "minCollateralFactorBps", 8_001, 1_000, 8_000);
    }

    function testFuzz_createMarket_validIsAccepted(uint16 cf, uint16 lt, uint16 lb) public {
        cf = uint16(bound(cf, 1_000, 9_500));
        lt = uint16(bound(lt, uint256(cf) + 1, 9_900));
        uint256 maxBonus = (uint256(10_000) * 10_000 - 1) / lt - 10_000;
        if (maxBonus > 2_000) maxBonus = 2_000;
        lb = uint16(bound(lb, 0, maxBonus));
        Parameters memory p = defaultParameters();
        (p.collateralFactorBps, p.liquidationThresholdBps, p.liquidationBonusBps) = (cf, lt, lb);
        p.minCollateralFactorBps = cf;
        // keep clients senior: CF x (1 + keeper + insurance) <= 1
        uint256 room = uint256(10_000) * 10_000 / cf - 10_000;
        p.keeperBonusBps = uint16(room / 2 < 500 ? room / 2 : 500);
        p.insuranceBps = uint16(room / 2 < 1000 ? room / 2 : 1000);
        useParameters(p);
        // a position liquidation must improve the health factor: LT x (1 + bonus) < 1
        assertLt(uint256(lt) * (10_000 + lb), 10_000 * 10_000);
    }
}

contract FeeRecipientTest is BaseTest {
    function test_feeRecipient_changesOnlyAfterDelay() public {
        address next = makeAddr("next");
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotFeeRecipient.selector, keeper));
        vm.prank(keeper);
        market.proposeFeeRecipient(next);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoFeeRecipientProposed.selector));
        market.acceptFeeRecipient();

        vm.prank(feeRecipient);
        market.proposeFeeRecipient(next);
        uint64 at = uint64(block.timestamp + 7 days);
        (address proposed, uint64 effectiveAt) = market.pendingFeeRecipient();
        assertEq(proposed, next);
        assertEq(effectiveAt, at);
        skip(7 days - 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.FeeRecipientDelayNotPassed.selector, at));
        market.acceptFeeRecipient();
        skip(1);
        vm.expectEmit(address(market));
        emit IAllotMarket.FeeRecipientChanged(feeRecipient, next);
        vm.prank(keeper);
        market.acceptFeeRecipient();
        assertEq(market.feeRecipient(), next);
        (proposed,) = market.pendingFeeRecipient();
        assertEq(proposed, address(0));
    }

    function test_feeRecipient_refusesZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAddress.selector));
        vm.prank(feeRecipient);
        market.proposeFeeRecipient(address(0));
    }
}

contract FeesAndInsuranceTest is BaseTest {
    function test_withdrawFees() public {
        (DealTerms memory t,) = openDefault();
        commit(t);
        vm.prank(client);
        market.settle(t);
        // the fee accrues when the provider withdraws its earnings
        assertEq(market.feesAccrued(), 0);
        cashOut(provider);
        vm.expectEmit(address(market));
        emit IAllotMarket.FeesWithdrawn(feeRecipient, 1e6);
        vm.prank(keeper);
        market.withdrawFees();
        assertEq(usd.balanceOf(feeRecipient), 1e6);
        assertEq(market.feesAccrued(), 0);
    }

    function test_withdrawFees_reverts() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NoFeesAccrued.selector));
        market.withdrawFees();
    }

    function test_fundInsurance() public {
        usd.mint(keeper, 50e6);
        vm.expectEmit(address(market));
        emit IAllotMarket.InsuranceFunded(keeper, 50e6);
        vm.prank(keeper);
        market.fundInsurance(50e6);
        assertEq(market.insuranceFund(), 50e6);
        assertEq(usd.balanceOf(address(market)), 50e6);
    }

    function test_fundInsurance_revertsOnZero() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroAmount.selector));
        market.fundInsurance(0);
    }

    function test_claim_revertsWhenNothingCredited() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NothingToClaim.selector, address(usd), keeper));
        vm.prank(keeper);
        market.claim(address(usd));
    }
}

contract ViewsTest is BaseTest {
    function test_views_reportPosition() public {
        (DealTerms memory t,) = openDefault();
        assertEq(market.collateralValue(provider), 2_000e6);
        assertEq(market.maxDealCollateral(provider), 1_600e6 - t.collateral);
        assertEq(market.healthFactor(provider), uint256(2_000e6) * 9 / 10 * 1e18 / t.collateral);
        Position memory p = pos(provider);
        assertEq(p.collateral, 1_000e18);
        assertEq(p.obligations, t.collateral);
    }

    function test_views_revertOnStalePrice() public {
        openDefault();
        skip(1 days + 1);
        bytes memory stale = abi.encodeWithSelector(IAllotMarket.StalePrice.selector, block.timestamp - 1 days - 1, 1 days);
        vm.expectRevert(stale);
        market.healthFactor(provider);
        vm.expectRevert(stale);
        market.maxDealCollateral(provider);
        vm.expectRevert(stale);
        market.collateralValue(provider);
        vm.expectRevert(stale);
        market.collateralPrice();
    }
}

contract MathLibTest is Test {
    MathHarness internal h = new MathHarness();

    function test_mulDiv_roundsAsNamed() public view {
        assertEq(h.mulDivDown(7, 3, 2), 10);
        assertEq(h.mulDivUp(7, 3, 2), 11);
        assertEq(h.mulDivUp(8, 3, 2), 12);
    }

    function test_mulDiv_fullPrecision() public view {
        // (2^255 * 6) / 3 overflows 256 bits in the product but not in the result
        assertEq(h.mulDivDown(2 ** 255, 6, 12), 2 ** 254);
        assertEq(h.mulDivDown(type(uint256).max, type(uint256).max, type(uint256).max), type(uint256).max);
    }

    function test_mulDiv_revertsOnOverflow() public {
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.MulDivOverflow.selector));
        h.mulDivDown(type(uint256).max, 2, 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.MulDivOverflow.selector));
        h.mulDivDown(1, 1, 0);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.MulDivOverflow.selector));
        h.mulDivUp(type(uint256).max, type(uint256).max, type(uint256).max - 1);
    }

    function testFuzz_mulDiv_matchesReference(uint128 x, uint128 y, uint128 d) public view {
        vm.assume(d != 0);
        uint256 exact = uint256(x) * y;
        assertEq(h.mulDivDown(x, y, d), exact / d);
        assertEq(h.mulDivUp(x, y, d), exact / d + (exact % d == 0 ? 0 : 1));
    }

    function testFuzz_mulDiv_wide(uint256 x, uint256 y, uint256 d) public view {
        d = bound(d, 1, type(uint256).max);
        x = bound(x, 0, type(uint256).max);
        // only check cases whose result fits: y <= d keeps x * y / d <= x
        y = bound(y, 0, d);
        uint256 down = h.mulDivDown(x, y, d);
        assertLe(down, x);
        uint256 up = h.mulDivUp(x, y, d);
        assertTrue(up == down || up == down + 1);
    }
}
// forge-lint: disable-end(unsafe-typecast)
