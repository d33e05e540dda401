// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)
// forge-lint: disable-start(block-timestamp)
// forge-lint: disable-start(incorrect-shift)

import {Test, Vm} from "forge-std/Test.sol";
import {AllotMarket} from "../../src/AllotMarket.sol";
import {IAllotMarket, DealTerms, DealState, DealStatus, Position} from "../../src/interfaces/IAllotMarket.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {BlocklistToken} from "../mocks/TestTokens.sol";

/// @dev Drives random sequences of every market action with bounded inputs. Keeps the terms of every deal
/// (the market stores only their hash) and a ghost ledger of what each liquidation paid, so the suite can
/// recompute everything the market owes. Handler calls may revert (fail_on_revert = false); broken rules are
/// recorded in `violations` instead of asserted, because a revert here would be ignored.
contract MarketHandler is Test {
    AllotMarket public market;
    BlocklistToken public usd;
    BlocklistToken public col;
    MockPriceFeed public feed;
    bool public sameToken;
    address public owner;
    address public arbiter;

    uint256[] internal providerKeys;
    address[] public providers;
    address[] public clients;
    address[] public keepers;
    address[] public accounts; // everyone who may be credited

    DealTerms[] internal _deals;
    bytes32[] public dealIds;

    // ghost ledger of liquidations, per deal
    mapping(bytes32 => uint256) public ghostRefund;
    mapping(bytes32 => uint256) public ghostCompensation;
    mapping(bytes32 => uint256) public ghostShortfall;
    mapping(bytes32 => DealStatus) public ghostFinal;

    uint256 public violations;
    string public lastViolation;
    mapping(bytes32 => uint256) public calls;

    constructor(
        AllotMarket market_,
        BlocklistToken usd_,
        BlocklistToken col_,
        MockPriceFeed feed_,
        address owner_,
        address arbiter_
    ) {
        market = market_;
        usd = usd_;
        col = col_;
        feed = feed_;
        sameToken = address(usd_) == address(col_);
        owner = owner_;
        arbiter = arbiter_;
        for (uint256 i; i < 3; ++i) {
            uint256 key = uint256(keccak256(abi.encode("provider", i))) % 1e70 + 1;
            providerKeys.push(key);
            providers.push(vm.addr(key));
            clients.push(makeAddr(string(abi.encodePacked("client", vm.toString(i)))));
        }
        keepers.push(makeAddr("keeper0"));
        keepers.push(makeAddr("keeper1"));
        for (uint256 i; i < 3; ++i) {
            accounts.push(providers[i]);
            accounts.push(clients[i]);
        }
        accounts.push(keepers[0]);
        accounts.push(keepers[1]);
        for (uint256 i; i < accounts.length; ++i) {
            vm.startPrank(accounts[i]);
            usd.approve(address(market), type(uint256).max);
            col.approve(address(market), type(uint256).max);
            vm.stopPrank();
        }
        vm.prank(owner);
        usd.approve(address(market), type(uint256).max);
    }

    /* ------------------------------------------------------------------------------------------ */
    /*                                        VIEW HELPERS                                        */
    /* ------------------------------------------------------------------------------------------ */

    function dealCount() external view returns (uint256) {
        return _deals.length;
    }

    function dealTerms(uint256 i) external view returns (DealTerms memory) {
        return _deals[i];
    }

    function providerCount() external view returns (uint256) {
        return providers.length;
    }

    function accountCount() external view returns (uint256) {
        return accounts.length;
    }

    /* ------------------------------------------------------------------------------------------ */
    /*                                          ACTIONS                                           */
    /* ------------------------------------------------------------------------------------------ */

    function deposit(uint256 who, uint256 amount) external {
        address p = providers[who % providers.length];
        amount = bound(amount, 1, sameToken ? 5_000e6 : 5_000e18);
        col.mint(p, amount);
        vm.prank(p);
        market.depositCollateral(amount);
        ++calls["deposit"];
    }

    function requestWithdrawal(uint256 who, uint256 amount) external {
        address p = providers[who % providers.length];
        uint256 free = market.position(p).collateral;
        if (free == 0) return;
        amount = bound(amount, 1, free);
        vm.prank(p);
        market.requestWithdrawal(amount);
        ++calls["requestWithdrawal"];
    }

    function cancelWithdrawal(uint256 who) external {
        address p = _withPending(who);
        vm.prank(p);
        market.cancelWithdrawal();
        ++calls["cancelWithdrawal"];
    }

    function withdraw(uint256 who) external {
        address p = _withPending(who);
        uint64 at = market.position(p).withdrawableAt;
        if (block.timestamp < at && who % 2 == 0) {
            vm.warp(at);
            _refreshPrice();
        }
        vm.prank(p);
        market.withdraw();
        ++calls["withdraw"];
    }

    function openDeal(uint256 who, uint256 whom, uint256 price, uint256 collateral, uint256 duration) external {
        uint256 i = who % providers.length;
        address p = providers[i];
        price = bound(price, 1, 1_000e6);
        uint256 room;
        try market.maxDealCollateral(p) returns (uint256 available) {
            room = available;
        } catch {}
        collateral = bound(collateral, 0, room > 2_000e6 ? 2_000e6 : room);
        DealTerms memory t = DealTerms({
            client: clients[whom % clients.length],
            provider: p,
            price: uint128(price),
            collateral: uint128(collateral),
            jobHash: keccak256(abi.encode(_deals.length)),
            deadline: uint64(block.timestamp + bound(duration, 10 minutes, 3 hours)),
            expiry: uint64(block.timestamp + 1 hours),
            salt: _deals.length
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(providerKeys[i], market.hashDealTerms(t));
        usd.mint(t.client, price);
        vm.prank(t.client);
        bytes32 id = market.openDeal(t, abi.encodePacked(r, s, v));
        _deals.push(t);
        dealIds.push(id);
        ++calls["openDeal"];
    }

    function commit(uint256 index) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Open));
        if (!found) return;
        vm.prank(t.provider);
        market.commitResult(t, keccak256("result"));
        ++calls["commit"];
    }

    function settle(uint256 index, bool byClient, uint256 caller) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Committed));
        if (!found) return;
        vm.prank(byClient ? t.client : keepers[caller % keepers.length]);
        market.settle(t);
        _markFinal(t);
        ++calls["settle"];
    }

    function settleMany(uint256 start, uint256 count, uint256 caller) external {
        uint256 n = _deals.length;
        if (n == 0) return;
        start = start % n;
        count = bound(count, 1, 12);
        DealTerms[] memory batch = new DealTerms[](count);
        for (uint256 j; j < count; ++j) {
            batch[j] = _deals[(start + j) % n];
        }
        vm.prank(keepers[caller % keepers.length]);
        market.settleMany(batch);
        for (uint256 j; j < count; ++j) {
            _markFinal(batch[j]);
        }
        ++calls["settleMany"];
    }

    function dispute(uint256 index) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Committed));
        if (!found) return;
        uint256 bond = (uint256(t.price) * market.parameters().disputeBondBps + 9_999) / 10_000;
        usd.mint(t.client, bond);
        vm.prank(t.client);
        market.dispute(t);
        ++calls["dispute"];
    }

    function resolveDispute(uint256 index, bool atFault) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Disputed));
        if (!found) return;
        vm.prank(arbiter);
        market.resolveDispute(t, atFault);
        _markFinal(t);
        ++calls["resolveDispute"];
    }

    function liquidateDeal(uint256 index, uint256 caller) external {
        (bool found, DealTerms memory t) = _pick(
            index, _bit(DealStatus.Open) | _bit(DealStatus.Defaulted) | _bit(DealStatus.Liquidating)
        );
        if (!found) return;
        bytes32 id = market.hashDealTerms(t);
        vm.recordLogs();
        vm.prank(keepers[caller % keepers.length]);
        market.liquidateDeal(t);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 j; j < logs.length; ++j) {
            if (logs[j].emitter != address(market) || logs[j].topics.length < 2 || logs[j].topics[1] != id) continue;
            if (logs[j].topics[0] == IAllotMarket.DealLiquidated.selector) {
                (uint256 refund, uint256 compensation,,,) =
                    abi.decode(logs[j].data, (uint256, uint256, uint256, uint256, uint256));
                ghostRefund[id] += refund;
                ghostCompensation[id] += compensation;
            } else if (logs[j].topics[0] == IAllotMarket.CompensationShortfall.selector) {
                ghostShortfall[id] += abi.decode(logs[j].data, (uint256));
            }
        }
        _markFinal(t);
        ++calls["liquidateDeal"];
    }

    function liquidatePosition(uint256 who, uint256 amount, uint256 caller) external {
        address p = providers[who % providers.length];
        Position memory pos = market.position(p);
        if (pos.obligations <= pos.coverage) return;
        amount = bound(amount, 1, pos.obligations - pos.coverage);
        address liquidator = keepers[caller % keepers.length];
        usd.mint(liquidator, amount);
        vm.prank(liquidator);
        market.liquidatePosition(p, amount);
        ++calls["liquidatePosition"];
    }

    function movePrice(uint256 bps) external {
        if (address(feed) == address(0)) return;
        feed.setReverts(false);
        (, int256 answer,,,) = feed.latestRoundData();
        if (answer <= 0) answer = 2e8;
        int256 next = answer * int256(bound(bps, 7_000, 13_000)) / 10_000;
        if (next < 0.05e8) next = 0.05e8;
        if (next > 50e8) next = 50e8;
        feed.setAnswer(next);
        ++calls["movePrice"];
    }

    function breakPrice(uint256 mode) external {
        if (address(feed) == address(0)) return;
        mode = mode % 3;
        if (mode == 0) feed.setUpdatedAt(block.timestamp - 2 hours);
        else if (mode == 1) feed.setAnswer(0);
        else feed.setReverts(!feed.reverts());
        ++calls["breakPrice"];
    }

    function warp(uint256 seconds_) external {
        // mostly minutes (deadlines, windows, price age), sometimes days (unbonding)
        uint256 step = seconds_ % 10 == 0 ? bound(seconds_, 1 hours, 3 days) : bound(seconds_, 1, 40 minutes);
        vm.warp(block.timestamp + step);
        // a keeper-like feed: usually refreshed when time passes
        if (seconds_ % 4 != 0) _refreshPrice();
        ++calls["warp"];
    }

    function claim(uint256 who, bool collateralSide) external {
        address a = accounts[who % accounts.length];
        // prefer an account with a credit
        for (uint256 j; j < accounts.length; ++j) {
            address c = accounts[(who + j) % accounts.length];
            if (market.claimable(collateralSide ? address(col) : address(usd), c) != 0) {
                a = c;
                break;
            }
        }
        vm.prank(a);
        market.claim(collateralSide ? address(col) : address(usd));
        ++calls["claim"];
    }

    function toggleBlocked(uint256 who) external {
        address a = accounts[who % accounts.length];
        usd.setBlocked(a, !usd.blocked(a));
        if (!sameToken) col.setBlocked(a, usd.blocked(a));
        ++calls["toggleBlocked"];
    }

    function withdrawFees(uint256 who) external {
        vm.prank(accounts[who % accounts.length]);
        market.withdrawFees();
        ++calls["withdrawFees"];
    }

    function fundInsurance(uint256 amount) external {
        amount = bound(amount, 1, 1_000e6);
        usd.mint(owner, amount);
        vm.prank(owner);
        market.fundInsurance(amount);
        ++calls["fundInsurance"];
    }

    /// @dev Every entry point, on a deal that is already final, must leave every balance and the deal alone.
    function pokeFinal(uint256 index, uint256 caller) external {
        uint256 n = _deals.length;
        if (n == 0) return;
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Settled) | _bit(DealStatus.Liquidated));
        if (!found) return;
        bytes32 id = market.hashDealTerms(t);
        DealStatus status = market.deal(id).status;
        bytes32 before = _snapshot();
        address k = keepers[caller % keepers.length];

        vm.prank(t.client);
        try market.settle(t) {} catch {}
        vm.prank(k);
        try market.settle(t) {} catch {}
        vm.prank(k);
        try market.liquidateDeal(t) {} catch {}
        vm.prank(t.client);
        try market.dispute(t) {} catch {}
        vm.prank(arbiter);
        try market.resolveDispute(t, true) {} catch {}
        vm.prank(arbiter);
        try market.resolveDispute(t, false) {} catch {}
        vm.prank(t.provider);
        try market.commitResult(t, bytes32(0)) {} catch {}
        DealTerms[] memory batch = new DealTerms[](1);
        batch[0] = t;
        vm.prank(t.client);
        try market.settleMany(batch) {} catch {}

        if (_snapshot() != before) _violate("a final deal moved funds");
        if (market.deal(id).status != status) _violate("a final deal changed status");
        ++calls["pokeFinal"];
    }

    /* ------------------------------------------------------------------------------------------ */
    /*                                          INTERNAL                                          */
    /* ------------------------------------------------------------------------------------------ */

    function _refreshPrice() internal {
        if (address(feed) == address(0) || feed.reverts()) return;
        (, int256 answer,,,) = feed.latestRoundData();
        if (answer > 0) feed.setAnswer(answer);
    }

    /// @dev A provider with a pending withdrawal if there is one, else the one `seed` names.
    function _withPending(uint256 seed) internal view returns (address) {
        for (uint256 j; j < providers.length; ++j) {
            address p = providers[(seed + j) % providers.length];
            if (market.position(p).pendingWithdrawal != 0) return p;
        }
        return providers[seed % providers.length];
    }

    function _bit(DealStatus status) internal pure returns (uint256) {
        return 1 << uint8(status);
    }

    /// @dev The first deal from `seed` on whose status is in `mask`.
    function _pick(uint256 seed, uint256 mask) internal view returns (bool found, DealTerms memory t) {
        uint256 n = _deals.length;
        for (uint256 j; j < n; ++j) {
            uint256 i = (seed + j) % n;
            if (mask & _bit(market.deal(dealIds[i]).status) != 0) return (true, _deals[i]);
        }
    }

    function _markFinal(DealTerms memory t) internal {
        bytes32 id = market.hashDealTerms(t);
        DealStatus status = market.deal(id).status;
        DealStatus recorded = ghostFinal[id];
        if (recorded != DealStatus.None && recorded != status) _violate("a final deal left its final status");
        if (status == DealStatus.Settled || status == DealStatus.Liquidated) ghostFinal[id] = status;
    }

    function _snapshot() internal view returns (bytes32 h) {
        h = keccak256(
            abi.encode(
                usd.balanceOf(address(market)),
                col.balanceOf(address(market)),
                market.feesAccrued(),
                market.insuranceFund(),
                market.insuranceCollateral()
            )
        );
        for (uint256 i; i < accounts.length; ++i) {
            h = keccak256(
                abi.encode(
                    h,
                    usd.balanceOf(accounts[i]),
                    col.balanceOf(accounts[i]),
                    market.claimable(address(usd), accounts[i]),
                    market.claimable(address(col), accounts[i]),
                    market.position(accounts[i])
                )
            );
        }
    }

    function _violate(string memory reason) internal {
        ++violations;
        lastViolation = reason;
    }
}
// forge-lint: disable-end(incorrect-shift)
// forge-lint: disable-end(block-timestamp)
// forge-lint: disable-end(unsafe-typecast)
