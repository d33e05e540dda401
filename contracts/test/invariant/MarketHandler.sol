// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

// Tests bound their inputs before narrowing them.
// forge-lint: disable-start(unsafe-typecast)
// forge-lint: disable-start(block-timestamp)
// forge-lint: disable-start(incorrect-shift)

import {Test, Vm} from "forge-std/Test.sol";
import {AllotMarket} from "../../src/AllotMarket.sol";
import {
    IAllotMarket, DealTerms, DealState, DealStatus, Position, Vesting
} from "../../src/interfaces/IAllotMarket.sol";
import {MockPriceFeed} from "../../src/mocks/MockPriceFeed.sol";
import {BlocklistToken, MockWallet} from "../mocks/TestTokens.sol";

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

    // ghost ledger per actor: tokens handed to each actor from outside the market (minted), and what the
    // rules let each role take out of it
    mapping(address => uint256) public mintedUsd;
    mapping(address => uint256) public mintedCol;
    /// @dev Dispute bonds paid to a provider found not at fault.
    mapping(address => uint256) public ghostBondsWon;
    /// @dev Payment tokens position liquidators put into a provider's coverage (may come back to it on settle).
    mapping(address => uint256) public ghostCoverageBought;
    /// @dev Deals opened beyond the collateral factor and refused.
    uint256 public cfRefusals;
    uint256 public immutable payUnit;
    uint256 public immutable colUnit;
    uint256 public immutable keeperBonusBps;
    uint256 public immutable insuranceBps;
    uint256 public immutable unbondingPeriod;
    /// @dev Claims that paid out a vesting credit, and liquidations that vested one (coverage of the new rule).
    uint256 public vestedClaims;
    uint256 public vestedCredits;

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
        payUnit = 10 ** usd_.decimals();
        colUnit = 10 ** col_.decimals();
        keeperBonusBps = market_.parameters().keeperBonusBps;
        insuranceBps = market_.parameters().insuranceBps;
        unbondingPeriod = market_.parameters().unbondingPeriod;
        for (uint256 i; i < 3; ++i) {
            uint256 key = uint256(keccak256(abi.encode("provider", i))) % 1e70 + 1;
            providerKeys.push(key);
            // The third provider is a contract wallet that signs through EIP-1271.
            providers.push(i == 2 ? address(new MockWallet(vm.addr(key))) : vm.addr(key));
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

    /// @dev Everything credited to `account` in `token`: claimable at once or vesting.
    function credited(address token, address account) public view returns (uint256) {
        (uint256 unlocked, uint256 locked) = _vesting(token, account);
        return market.claimable(token, account) + unlocked + locked;
    }

    /// @dev Vesting credits of `account` in `token`: unlocked (claimable now) and still locked.
    function _vesting(address token, address account) internal view returns (uint256 unlocked, uint256 locked) {
        Vesting[2] memory buckets = market.vesting(token, account);
        for (uint256 i; i < 2; ++i) {
            if (buckets[i].unlockAt <= block.timestamp) unlocked += buckets[i].amount;
            else locked += buckets[i].amount;
        }
    }

    /* ------------------------------------------------------------------------------------------ */
    /*                                          ACTIONS                                           */
    /* ------------------------------------------------------------------------------------------ */

    function deposit(uint256 who, uint256 amount) external {
        address p = providers[who % providers.length];
        amount = bound(amount, 1, 5_000 * colUnit);
        _mintCol(p, amount);
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
        price = bound(price, 1, 1_000 * payUnit);
        uint256 room;
        bool priced;
        try market.maxDealCollateral(p) returns (uint256 available) {
            (room, priced) = (available, true);
        } catch {}
        // One deal in four asks for more than the collateral factor allows: the market must refuse it.
        bool oversized = priced && duration % 4 == 0 && room < 2_000 * payUnit;
        if (oversized) collateral = room + 1 + collateral % (room / 4 + 1);
        else collateral = bound(collateral, 0, room > 2_000 * payUnit ? 2_000 * payUnit : room);
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
        _mintUsd(t.client, price);
        vm.prank(t.client);
        if (oversized) {
            try market.openDeal(t, abi.encodePacked(r, s, v)) {
                _violate("a deal beyond the collateral factor opened");
            } catch (bytes memory reason) {
                if (bytes4(reason) == IAllotMarket.InsufficientCollateral.selector) ++cfRefusals;
            }
            return;
        }
        bytes32 id = market.openDeal(t, abi.encodePacked(r, s, v));
        _deals.push(t);
        dealIds.push(id);
        ++calls["openDeal"];
    }

    function commit(uint256 index) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Open));
        if (!found) return;
        bytes32 id = market.hashDealTerms(t);
        vm.prank(t.provider);
        market.commitResult(id, keccak256("result"));
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

    /// @dev One provider's ids, with other providers' deals mixed in: those must be skipped, not credited.
    function settleMany(uint256 who, uint256 start, uint256 count, uint256 caller) external {
        uint256 n = _deals.length;
        if (n == 0) return;
        address p = providers[who % providers.length];
        start = start % n;
        count = bound(count, 1, 12);
        bytes32[] memory ids = new bytes32[](count);
        for (uint256 j; j < count; ++j) {
            ids[j] = dealIds[(start + j) % n];
        }
        uint256 earningsBefore = market.position(p).earnings;
        uint256 expected;
        for (uint256 j; j < count; ++j) {
            DealTerms memory t = _deals[(start + j) % n];
            DealState memory d = market.deal(t.provider, ids[j]);
            bool settleable = t.provider == p && d.status == DealStatus.Committed
                && block.timestamp >= uint256(d.time) + market.parameters().challengeWindow;
            // a duplicate id is settled once
            for (uint256 k; k < j && settleable; ++k) {
                if (ids[k] == ids[j]) settleable = false;
            }
            if (settleable) expected += t.price;
        }
        vm.prank(keepers[caller % keepers.length]);
        market.settleMany(p, ids);
        if (market.position(p).earnings != earningsBefore + expected) _violate("settleMany credited the wrong amount");
        for (uint256 j; j < count; ++j) {
            _markFinal(_deals[(start + j) % n]);
        }
        ++calls["settleMany"];
    }

    function withdrawEarnings(uint256 who) external {
        address p = providers[who % providers.length];
        for (uint256 j; j < providers.length; ++j) {
            address c = providers[(who + j) % providers.length];
            if (market.position(c).earnings != 0) {
                p = c;
                break;
            }
        }
        if (usd.blocked(p)) usd.setBlocked(p, false);
        vm.prank(p);
        market.withdrawEarnings();
        ++calls["withdrawEarnings"];
    }

    /// @dev A client keeps a credit in the market; its next deals are paid from it.
    function depositPayment(uint256 who, uint256 amount) external {
        address c = clients[who % clients.length];
        amount = bound(amount, 1, 2_000 * payUnit);
        _mintUsd(c, amount);
        vm.prank(c);
        market.depositPayment(amount);
        ++calls["depositPayment"];
    }

    function dispute(uint256 index) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Committed));
        if (!found) return;
        uint256 bond = (uint256(t.price) * market.parameters().disputeBondBps + 9_999) / 10_000;
        _mintUsd(t.client, bond);
        vm.prank(t.client);
        market.dispute(t);
        ++calls["dispute"];
    }

    function resolveDispute(uint256 index, bool atFault) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Disputed));
        if (!found) return;
        uint256 bond = (uint256(t.price) * market.parameters().disputeBondBps + 9_999) / 10_000;
        vm.prank(arbiter);
        market.resolveDispute(t, atFault);
        if (!atFault) ghostBondsWon[t.provider] += bond;
        _markFinal(t);
        ++calls["resolveDispute"];
    }

    /// @dev The arbiter stays silent: after its window anyone closes the dispute with the default outcome.
    function closeExpiredDispute(uint256 index, uint256 caller) external {
        (bool found, DealTerms memory t) = _pick(index, _bit(DealStatus.Disputed));
        if (!found) return;
        bytes32 id = market.hashDealTerms(t);
        uint256 endsAt = uint256(market.deal(t.provider, id).time) + market.parameters().arbitrationWindow;
        if (block.timestamp < endsAt) vm.warp(endsAt);
        vm.prank(keepers[caller % keepers.length]);
        market.closeExpiredDispute(t);
        _markFinal(t);
        ++calls["closeExpiredDispute"];
    }

    function updateVolatility() external {
        market.updateVolatility();
        ++calls["updateVolatility"];
    }

    function liquidateDeal(uint256 index, uint256 caller) external {
        (bool found, DealTerms memory t) = _pick(
            index, _bit(DealStatus.Open) | _bit(DealStatus.Defaulted) | _bit(DealStatus.Liquidating)
        );
        if (!found) return;
        bytes32 id = market.hashDealTerms(t);
        uint256 bonusPaid;
        bool shortfallSeen;
        address k = keepers[caller % keepers.length];
        Vesting[2][4] memory bucketsBefore = _buckets(t.client, k);
        vm.recordLogs();
        vm.prank(k);
        market.liquidateDeal(t);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        _checkNewCreditsVest(t.client, k, bucketsBefore);
        for (uint256 j; j < logs.length; ++j) {
            if (logs[j].emitter != address(market) || logs[j].topics.length < 2 || logs[j].topics[1] != id) continue;
            if (logs[j].topics[0] == IAllotMarket.DealLiquidated.selector) {
                (uint256 refund, uint256 compensation, uint256 keeperBonus, uint256 insuranceShare,,) =
                    abi.decode(logs[j].data, (uint256, uint256, uint256, uint256, uint256, uint64));
                ghostRefund[id] += refund;
                ghostCompensation[id] += compensation;
                // The keeper and the fund take their shares of what was paid, never more (+1 for rounding).
                if (keeperBonus > compensation * keeperBonusBps / 10_000 + 1) _violate("keeper bonus above its share");
                if (insuranceShare > compensation * insuranceBps / 10_000 + 1) _violate("insurance share above its share");
                bonusPaid = keeperBonus + insuranceShare;
            } else if (logs[j].topics[0] == IAllotMarket.CompensationShortfall.selector) {
                uint256 shortfall = abi.decode(logs[j].data, (uint256));
                ghostShortfall[id] += shortfall;
                shortfallSeen = true;
            }
        }
        // Clients first: a client left short means the provider had nothing for bonuses.
        if (shortfallSeen && bonusPaid != 0) _violate("bonuses paid while a client was left short");
        _markFinal(t);
        ++calls["liquidateDeal"];
    }

    function liquidatePosition(uint256 who, uint256 amount, uint256 caller) external {
        address p = providers[who % providers.length];
        Position memory pos = market.position(p);
        if (pos.obligations <= pos.coverage) return;
        amount = bound(amount, 1, pos.obligations - pos.coverage);
        address liquidator = keepers[caller % keepers.length];
        _mintUsd(liquidator, amount);
        vm.prank(liquidator);
        market.liquidatePosition(p, amount);
        ghostCoverageBought[p] += market.position(p).coverage - pos.coverage;
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

    /// @dev A claim pays exactly the account's `claimable` and unlocked vesting credits, and leaves what is still
    /// vesting where it is: nothing taken from a provider leaves before it unlocks.
    function claim(uint256 who, bool collateralSide) external {
        address token = collateralSide ? address(col) : address(usd);
        address a = accounts[who % accounts.length];
        // prefer an account with a credit it can claim now
        for (uint256 j; j < accounts.length; ++j) {
            address c = accounts[(who + j) % accounts.length];
            (uint256 unlocked,) = _vesting(token, c);
            if (market.claimable(token, c) + unlocked != 0) {
                a = c;
                break;
            }
        }
        // The account is reachable again, so the claim goes through.
        if (usd.blocked(a)) usd.setBlocked(a, false);
        if (col.blocked(a)) col.setBlocked(a, false);
        (uint256 unlockedBefore, uint256 lockedBefore) = _vesting(token, a);
        uint256 expected = market.claimable(token, a) + unlockedBefore;
        uint256 balanceBefore = BlocklistToken(token).balanceOf(a);
        vm.prank(a);
        market.claim(token);
        if (BlocklistToken(token).balanceOf(a) - balanceBefore != expected) _violate("a claim paid other than the unlocked credits");
        (uint256 unlockedAfter, uint256 lockedAfter) = _vesting(token, a);
        if (unlockedAfter != 0 || lockedAfter != lockedBefore) _violate("a claim touched credits still vesting");
        if (unlockedBefore != 0) ++vestedClaims;
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
        amount = bound(amount, 1, 1_000 * payUnit);
        _mintUsd(owner, amount);
        vm.prank(owner);
        market.fundInsurance(amount);
        ++calls["fundInsurance"];
    }

    /// @dev Every entry point, on a deal that is already final, must leave every balance and the deal alone.
    function pokeFinal(uint256 index, uint256 caller) external {
        uint256 n = _deals.length;
        if (n == 0) return;
        (bool found, DealTerms memory t) =
            _pick(index, _bit(DealStatus.Settled) | _bit(DealStatus.Liquidated) | _bit(DealStatus.DisputeExpired));
        if (!found) return;
        bytes32 id = market.hashDealTerms(t);
        DealStatus status = market.deal(t.provider, id).status;
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
        try market.commitResult(id, bytes32(0)) {} catch {}
        vm.prank(k);
        try market.closeExpiredDispute(t) {} catch {}
        bytes32[] memory batch = new bytes32[](1);
        batch[0] = id;
        vm.prank(t.client);
        try market.settleMany(t.provider, batch) {} catch {}

        if (_snapshot() != before) _violate("a final deal moved funds");
        if (market.deal(t.provider, id).status != status) _violate("a final deal changed status");
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
            if (mask & _bit(market.deal(_deals[i].provider, dealIds[i]).status) != 0) return (true, _deals[i]);
        }
    }

    function _markFinal(DealTerms memory t) internal {
        bytes32 id = market.hashDealTerms(t);
        DealStatus status = market.deal(t.provider, id).status;
        DealStatus recorded = ghostFinal[id];
        if (recorded != DealStatus.None && recorded != status) _violate("a final deal left its final status");
        if (status == DealStatus.Settled || status == DealStatus.Liquidated || status == DealStatus.DisputeExpired) {
            ghostFinal[id] = status;
        }
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
                    credited(address(usd), accounts[i]),
                    credited(address(col), accounts[i]),
                    market.position(accounts[i])
                )
            );
        }
    }

    /// @dev The vesting buckets of the client and the keeper of a liquidation, in both tokens.
    function _buckets(address client, address keeper) internal view returns (Vesting[2][4] memory buckets) {
        buckets[0] = market.vesting(address(usd), client);
        buckets[1] = market.vesting(address(col), client);
        buckets[2] = market.vesting(address(usd), keeper);
        buckets[3] = market.vesting(address(col), keeper);
    }

    /// @dev What a liquidation credited from the provider is locked for at least one unbonding period and at
    /// most two: every bucket it changed unlocks in [now + U, now + 2U], and it released none still locked.
    function _checkNewCreditsVest(address client, address keeper, Vesting[2][4] memory before) internal {
        Vesting[2][4] memory after_ = _buckets(client, keeper);
        for (uint256 i; i < 4; ++i) {
            for (uint256 b; b < 2; ++b) {
                Vesting memory x = before[i][b];
                Vesting memory y = after_[i][b];
                if (x.amount == y.amount && x.unlockAt == y.unlockAt) continue;
                if (x.unlockAt > block.timestamp) {
                    if (y.unlockAt != x.unlockAt || y.amount < x.amount) _violate("a liquidation moved a locked credit");
                }
                ++vestedCredits;
                if (y.unlockAt < block.timestamp + unbondingPeriod || y.unlockAt > block.timestamp + 2 * unbondingPeriod) {
                    _violate("a credit from a provider vests outside one to two unbonding periods");
                }
            }
        }
    }

    function _mintUsd(address to, uint256 amount) internal {
        usd.mint(to, amount);
        mintedUsd[to] += amount;
    }

    function _mintCol(address to, uint256 amount) internal {
        col.mint(to, amount);
        mintedCol[to] += amount;
    }

    function _violate(string memory reason) internal {
        ++violations;
        lastViolation = reason;
    }
}
// forge-lint: disable-end(incorrect-shift)
// forge-lint: disable-end(block-timestamp)
// forge-lint: disable-end(unsafe-typecast)
