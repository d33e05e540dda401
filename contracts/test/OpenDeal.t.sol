// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)

import "./utils/BaseTest.sol";
import {MockWallet} from "./mocks/TestTokens.sol";

contract OpenDealTest is BaseTest {
    uint256 internal constant HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;
    uint256 internal constant N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;

    DealTerms internal t;

    function setUp() public override {
        super.setUp();
        deposit(provider, collateralWorth(2_000e6));
        t = defaultTerms();
        usd.mint(client, 1_000e6);
    }

    function openAs(address caller, bytes memory signature) internal returns (bytes32) {
        vm.prank(caller);
        return market.openDeal(t, signature);
    }

    function test_openDeal_escrowsPriceAndAddsObligation() public {
        bytes32 expected = market.hashDealTerms(t);
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectEmit(address(market));
        emit IAllotMarket.DealOpened(expected, provider, t);
        bytes32 dealId = openAs(client, signature);
        assertEq(dealId, expected);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Open));
        assertEq(pos(provider).obligations, t.collateral);
        assertEq(usd.balanceOf(address(market)), t.price);
        assertEq(usd.balanceOf(client), 1_000e6 - t.price);
    }

    function test_hashDealTerms_isEip712Digest() public view {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("allot"),
                keccak256("1"),
                block.chainid,
                address(market)
            )
        );
        assertEq(market.DOMAIN_SEPARATOR(), domain);
        bytes32 typehash = keccak256(
            "DealTerms(address client,address provider,uint128 price,uint128 collateral,bytes32 jobHash,uint64 deadline,uint64 expiry,uint256 salt)"
        );
        assertEq(market.DEAL_TERMS_TYPEHASH(), typehash);
        bytes32 structHash = keccak256(
            abi.encode(typehash, t.client, t.provider, t.price, t.collateral, t.jobHash, t.deadline, t.expiry, t.salt)
        );
        assertEq(market.hashDealTerms(t), keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
    }

    function test_domainSeparator_followsChainId() public {
        bytes32 before = market.DOMAIN_SEPARATOR();
        vm.chainId(block.chainid + 1);
        assertTrue(market.DOMAIN_SEPARATOR() != before);
    }

    function test_openDeal_withContractProvider() public {
        MockWallet wallet = new MockWallet(provider);
        collateralToken.mint(address(wallet), collateralWorth(1_000e6));
        vm.prank(address(wallet));
        collateralToken.approve(address(market), type(uint256).max);
        vm.prank(address(wallet));
        market.depositCollateral(collateralWorth(1_000e6));
        t.provider = address(wallet);
        openAs(client, sign(PROVIDER_KEY, t));
        assertEq(uint8(dealOf(t).status), uint8(DealStatus.Open));
    }

    function test_openDeal_revertsOnBadContractSignature() public {
        MockWallet wallet = new MockWallet(provider);
        t.provider = address(wallet);
        bytes memory signature = sign(OTHER_PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidContractSignature.selector, address(wallet)));
        openAs(client, signature);
        wallet.setBroken(true);
        signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidContractSignature.selector, address(wallet)));
        openAs(client, signature);
    }

    function test_openDeal_revertsForContractWithoutErc1271() public {
        t.provider = address(usd);
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidContractSignature.selector, address(usd)));
        openAs(client, signature);
    }

    function test_openDeal_revertsWhenCallerIsNotClient() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.NotClient.selector, keeper));
        openAs(keeper, signature);
    }

    function test_openDeal_revertsAfterExpiry() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.warp(t.expiry + 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.OfferExpired.selector, t.expiry));
        openAs(client, signature);
    }

    function test_openDeal_opensAtExpiry() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.warp(t.expiry);
        setPrice(INITIAL_ANSWER);
        openAs(client, signature);
    }

    function test_openDeal_revertsWhenDeadlinePassed() public {
        t.deadline = uint64(block.timestamp);
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DeadlinePassed.selector, t.deadline));
        openAs(client, signature);
    }

    function test_openDeal_revertsOnZeroPrice() public {
        t.price = 0;
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.ZeroDealPrice.selector));
        openAs(client, signature);
    }

    function test_openDeal_revertsOnReplay() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        bytes32 dealId = openAs(client, signature);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealAlreadyExists.selector, dealId));
        openAs(client, signature);
    }

    function test_openDeal_revertsOnReplayAfterSettlement() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        bytes32 dealId = openAs(client, signature);
        commit(t);
        vm.prank(client);
        market.settle(t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.DealAlreadyExists.selector, dealId));
        openAs(client, signature);
    }

    function test_openDeal_revertsOnWrongSignatureLength() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        bytes memory shortSignature = new bytes(64);
        for (uint256 i; i < 64; ++i) {
            shortSignature[i] = signature[i];
        }
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidSignatureLength.selector, 64));
        openAs(client, shortSignature);
    }

    function test_openDeal_revertsOnHighS() public {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(PROVIDER_KEY, market.hashDealTerms(t));
        // The malleable twin: (r, n - s, v ^ 1) recovers the same signer.
        bytes memory twin = abi.encodePacked(r, bytes32(N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.SignatureHighS.selector));
        openAs(client, twin);
    }

    function test_openDeal_revertsOnBadV() public {
        (, bytes32 r, bytes32 s) = vm.sign(PROVIDER_KEY, market.hashDealTerms(t));
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidSignatureV.selector, uint8(1)));
        openAs(client, abi.encodePacked(r, s, uint8(1)));
    }

    function test_openDeal_revertsWhenSignatureRecoversZero() public {
        // r = 0 is not a curve point, so ecrecover returns the zero address.
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidSignature.selector));
        openAs(client, abi.encodePacked(bytes32(0), bytes32(uint256(1)), uint8(27)));
    }

    function test_openDeal_revertsOnWrongSigner() public {
        bytes memory signature = sign(OTHER_PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.SignerMismatch.selector, otherProvider, provider));
        openAs(client, signature);
    }

    function test_openDeal_revertsWhenTermsDiffer() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        t.price += 1;
        vm.expectRevert();
        openAs(client, signature);
    }

    function test_openDeal_revertsOnStalePrice() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        feed.setUpdatedAt(block.timestamp - 1 days - 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.StalePrice.selector, block.timestamp - 1 days - 1, 1 days));
        openAs(client, signature);
    }

    function test_openDeal_revertsOnFuturePrice() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        feed.setUpdatedAt(block.timestamp + 1);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.StalePrice.selector, block.timestamp + 1, 1 days));
        openAs(client, signature);
    }

    function test_openDeal_revertsOnNonPositivePrice() public {
        bytes memory signature = sign(PROVIDER_KEY, t);
        setPrice(0);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidPrice.selector, int256(0)));
        openAs(client, signature);
        setPrice(-5);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InvalidPrice.selector, int256(-5)));
        openAs(client, signature);
    }

    function test_openDeal_revertsWhenUnderCollateralized() public {
        // 2,000 of collateral value x 0.8 backs 1,600.
        t.collateral = 1_600e6 + 1;
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientCollateral.selector, 1_600e6 + 1, 1_600e6));
        openAs(client, signature);
        t.collateral = 1_600e6;
        openAs(client, sign(PROVIDER_KEY, t));
        assertEq(market.maxDealCollateral(provider), 0);
    }

    /// @dev Price and collateral live in the deal's one slot, 104 bits each.
    function test_openDeal_revertsWhenAmountsExceed104Bits() public {
        setPrice(1e37);
        t.collateral = uint128(type(uint104).max) + 1;
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.AmountOverflow.selector, uint256(type(uint104).max) + 1));
        vm.prank(client);
        market.openDeal(t, signature);
        t.collateral = 1;
        t.price = uint128(type(uint104).max) + 1;
        signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(abi.encodeWithSelector(IAllotMarket.AmountOverflow.selector, uint256(type(uint104).max) + 1));
        vm.prank(client);
        market.openDeal(t, signature);
        // the largest collateral fits
        t.price = 100e6;
        t.collateral = type(uint104).max;
        open(t);
        assertEq(dealOf(t).collateral, type(uint104).max);
    }

    function test_openDeal_revertsWithoutFunds() public {
        t.price = 5_000e6;
        bytes memory signature = sign(PROVIDER_KEY, t);
        vm.expectRevert(
            abi.encodeWithSelector(IAllotMarket.TransferFromFailed.selector, address(usd), client, 5_000e6)
        );
        openAs(client, signature);
    }

    function test_openDeal_zeroCollateralDealNeedsNoBacking() public {
        DealTerms memory free = terms(otherProvider, 10e6, 0);
        bytes32 dealId = open(free);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Open));
        assertEq(pos(otherProvider).obligations, 0);
    }

    function testFuzz_openDeal_collateralFactor(uint128 collateral, uint256 answer) public {
        answer = bound(answer, 1e6, 1e12);
        setPrice(int256(answer));
        collateral = uint128(bound(collateral, 0, 1e15));
        t.collateral = collateral;
        uint256 backing = collateralWorth(2_000e6) * answer / 1e8 / 1e12 * 8000 / 10_000;
        assertEq(market.maxDealCollateral(provider), backing);
        bytes memory signature = sign(PROVIDER_KEY, t);
        if (collateral > backing) {
            vm.expectRevert(abi.encodeWithSelector(IAllotMarket.InsufficientCollateral.selector, collateral, backing));
        }
        openAs(client, signature);
    }

    function testFuzz_openDeal_anyValidTerms(uint128 price, uint64 deadlineIn, uint64 expiryIn, bytes32 jobHash)
        public
    {
        price = uint128(bound(price, 1, 1e18));
        deadlineIn = uint64(bound(deadlineIn, 60, 365 days));
        expiryIn = uint64(bound(expiryIn, 0, 365 days));
        t.price = price;
        t.deadline = uint64(block.timestamp) + deadlineIn;
        t.expiry = uint64(block.timestamp) + expiryIn;
        t.jobHash = jobHash;
        usd.mint(client, price);
        bytes32 dealId = openAs(client, sign(PROVIDER_KEY, t));
        assertEq(dealId, market.hashDealTerms(t));
        assertEq(usd.balanceOf(address(market)), price);
    }
}

contract OpenDealSameTokenTest is BaseTest {
    function sameToken() internal pure override returns (bool) {
        return true;
    }

    function test_openDeal_sameTokenNeedsNoFeed() public {
        assertEq(address(market.priceFeed()), address(0));
        deposit(provider, 1_000e6);
        skip(30 days);
        DealTerms memory t = terms(provider, 100e6, 800e6);
        bytes32 dealId = open(t);
        assertEq(uint8(statusOf(dealId)), uint8(DealStatus.Open));
        assertEq(market.collateralValue(provider), 1_000e6);
        assertEq(market.maxDealCollateral(provider), 0);
        (uint256 price,) = market.collateralPrice();
        assertEq(price, 1);
        // escrow and collateral share one balance
        assertEq(usd.balanceOf(address(market)), 1_100e6);
    }
}
// forge-lint: disable-end(unsafe-typecast)
