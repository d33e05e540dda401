// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DefaultParameters} from "../../script/DefaultParameters.sol";
import {Test, Vm} from "forge-std/Test.sol";
import {AllotMarket} from "../../src/AllotMarket.sol";
import {AllotMarketFactory} from "../../src/AllotMarketFactory.sol";
import {IAllotMarketFactory} from "../../src/interfaces/IAllotMarketFactory.sol";
import {
    IAllotMarket,
    DealTerms,
    DealState,
    DealStatus,
    Parameters,
    MarketConfig,
    Position,
    Vesting
} from "../../src/interfaces/IAllotMarket.sol";
import {IERC20} from "../../src/interfaces/IERC20.sol";
import {IAggregatorV3} from "../../src/interfaces/IAggregatorV3.sol";
import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";

/// @dev Deploys a market with two tokens (6-decimal payment, 18-decimal collateral at 2.00 payment units,
/// 8-decimal feed); suites that override `sameToken` run against one 6-decimal token and no feed.
abstract contract BaseTest is Test {
    uint256 internal constant PROVIDER_KEY = 0xA11CE;
    uint256 internal constant OTHER_PROVIDER_KEY = 0xB0B;
    int256 internal constant INITIAL_ANSWER = 2e8;

    AllotMarket internal market;
    MockERC20 internal usd;
    MockERC20 internal collateralToken;
    MockPriceFeed internal feed;

    address internal owner = makeAddr("owner");
    address internal arbiter = makeAddr("arbiter");
    address internal client = makeAddr("client");
    address internal keeper = makeAddr("keeper");
    address internal liquidator = makeAddr("liquidator");
    address internal provider;
    address internal otherProvider;

    uint256 internal saltCounter;

    function sameToken() internal pure virtual returns (bool) {
        return false;
    }

    /// @dev The one definition of the default parameters, shared with the TypeScript deploy and the script.
    function defaultParameters() internal view returns (Parameters memory) {
        return DefaultParameters.read(vm);
    }

    AllotMarketFactory internal factory;
    address internal feeRecipient = makeAddr("feeRecipient");

    function setUp() public virtual {
        vm.warp(1_700_000_000);
        provider = vm.addr(PROVIDER_KEY);
        otherProvider = vm.addr(OTHER_PROVIDER_KEY);
        usd = new MockERC20("Mock USD", "mUSD", 6);
        if (sameToken()) {
            collateralToken = usd;
        } else {
            collateralToken = new MockERC20("Mock Collateral", "mCOL", 18);
            feed = new MockPriceFeed(8, INITIAL_ANSWER, "mCOL / mUSD");
        }
        factory = new AllotMarketFactory(keccak256(type(AllotMarket).creationCode));
        useMarket(createMarket(config()));
        vm.label(provider, "provider");
        vm.label(otherProvider, "otherProvider");
    }

    /// @dev Creates a market through the factory, as anyone would.
    function createMarket(MarketConfig memory c) internal returns (AllotMarket) {
        return AllotMarket(factory.createMarket(type(AllotMarket).creationCode, c));
    }

    /// @dev Makes `m` the market the helpers use, with every actor's approvals.
    function useMarket(AllotMarket m) internal {
        market = m;
        vm.label(address(market), "market");
        address[6] memory actors = [client, provider, otherProvider, keeper, liquidator, owner];
        for (uint256 i; i < actors.length; ++i) {
            vm.startPrank(actors[i]);
            usd.approve(address(market), type(uint256).max);
            collateralToken.approve(address(market), type(uint256).max);
            vm.stopPrank();
        }
    }

    /// @dev A new market with the same tokens and parameters `p`: the only way to get other rules.
    function useParameters(Parameters memory p) internal {
        MarketConfig memory c = config();
        c.params = p;
        // A fuzzed set may equal one already created (the defaults): markets are unique per configuration.
        address existing = factory.marketOf(keccak256(abi.encode(c)));
        useMarket(existing != address(0) ? AllotMarket(existing) : createMarket(c));
    }

    function config() internal view returns (MarketConfig memory) {
        return MarketConfig({
            paymentToken: IERC20(address(usd)),
            collateralToken: IERC20(address(collateralToken)),
            priceFeed: IAggregatorV3(address(feed)),
            arbiter: arbiter,
            feeRecipient: feeRecipient,
            params: defaultParameters()
        });
    }

    /* ------------------------------------------------------------------------------------------ */
    /*                                          HELPERS                                           */
    /* ------------------------------------------------------------------------------------------ */

    /// @dev Collateral tokens worth `value` payment units at the initial price (1:1 with one token).
    function collateralWorth(uint256 value) internal pure virtual returns (uint256) {
        if (sameToken()) return value;
        // value (6 decimals) / 2.00 -> 18 decimals
        return value * 1e12 / 2;
    }

    function deposit(address who, uint256 amount) internal {
        collateralToken.mint(who, amount);
        vm.prank(who);
        market.depositCollateral(amount);
    }

    function terms(address provider_, uint128 price, uint128 collateral) internal returns (DealTerms memory t) {
        t = DealTerms({
            client: client,
            provider: provider_,
            price: price,
            collateral: collateral,
            jobHash: keccak256("job"),
            deadline: uint64(block.timestamp + 1 days),
            expiry: uint64(block.timestamp + 1 hours),
            salt: ++saltCounter
        });
    }

    function defaultTerms() internal returns (DealTerms memory) {
        return terms(provider, 100e6, 500e6);
    }

    function sign(uint256 key, DealTerms memory t) internal view returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, market.hashDealTerms(t));
        return abi.encodePacked(r, s, v);
    }

    function keyOf(address provider_) internal view returns (uint256) {
        if (provider_ == provider) return PROVIDER_KEY;
        if (provider_ == otherProvider) return OTHER_PROVIDER_KEY;
        revert("no key");
    }

    function open(DealTerms memory t) internal returns (bytes32 dealId) {
        bytes memory signature = sign(keyOf(t.provider), t);
        usd.mint(t.client, t.price);
        vm.prank(t.client);
        dealId = market.openDeal(t, signature);
    }

    function commit(DealTerms memory t) internal {
        bytes32 dealId = market.hashDealTerms(t);
        vm.prank(t.provider);
        market.commitResult(dealId, keccak256("result"));
    }

    /// @dev A funded provider with one open deal.
    function openDefault() internal returns (DealTerms memory t, bytes32 dealId) {
        deposit(provider, collateralWorth(2_000e6));
        t = defaultTerms();
        dealId = open(t);
    }

    /// @dev Deals are kept under their provider: looks under both test providers.
    function statusOf(bytes32 dealId) internal view returns (DealStatus status) {
        status = market.deal(provider, dealId).status;
        if (status == DealStatus.None) status = market.deal(otherProvider, dealId).status;
    }

    /// @dev Withdraws all the market credits `who` (earnings, then `claimable` of both tokens), as its owner
    /// would: settlement and deal liquidation credit instead of paying (pull over push).
    function cashOut(address who) internal {
        if (market.position(who).earnings != 0) {
            vm.prank(who);
            market.withdrawEarnings();
        }
        if (claimableNow(address(usd), who) != 0) {
            vm.prank(who);
            market.claim(address(usd));
        }
        if (address(collateralToken) != address(usd) && claimableNow(address(collateralToken), who) != 0) {
            vm.prank(who);
            market.claim(address(collateralToken));
        }
    }

    /// @dev What `claim(token)` would send `who` now: `claimable` and the unlocked vesting buckets.
    function claimableNow(address token, address who) internal view returns (uint256 amount) {
        amount = market.claimable(token, who);
        Vesting[2] memory buckets = market.vesting(token, who);
        for (uint256 i; i < 2; ++i) {
            if (buckets[i].unlockAt <= block.timestamp) amount += buckets[i].amount;
        }
    }

    function dealOf(DealTerms memory t) internal view returns (DealState memory) {
        return market.deal(t.provider, market.hashDealTerms(t));
    }

    function idsOf(DealTerms[] memory batch) internal view returns (bytes32[] memory ids) {
        ids = new bytes32[](batch.length);
        for (uint256 i; i < batch.length; ++i) {
            ids[i] = market.hashDealTerms(batch[i]);
        }
    }

    /// @dev When what a deal liquidation takes from a provider now becomes claimable (`DealLiquidated.vestedUntil`).
    function vestedUntil() internal view returns (uint64) {
        uint256 unbonding = market.parameters().unbondingPeriod;
        return uint64((block.timestamp / unbonding + 2) * unbonding);
    }

    /// @dev Credits still vesting for `who` in `token`, unlocked or not.
    function vestingOf(address token, address who) internal view returns (uint256 amount) {
        Vesting[2] memory buckets = market.vesting(token, who);
        return uint256(buckets[0].amount) + buckets[1].amount;
    }

    /// @dev Everything the market credits `who` in `token`: claimable now or vesting.
    function credited(address token, address who) internal view returns (uint256) {
        return market.claimable(token, who) + vestingOf(token, who);
    }

    /// @dev Moves time past every vesting bucket (refreshing the price) and sends `who` all its credits.
    function cashOutAfterVesting(address who) internal {
        vm.warp(vestedUntil());
        if (!sameToken()) setPrice(feed.latestAnswer());
        cashOut(who);
    }

    function pos(address who) internal view returns (Position memory) {
        return market.position(who);
    }

    function setPrice(int256 answer) internal {
        feed.setAnswer(answer);
    }
}
