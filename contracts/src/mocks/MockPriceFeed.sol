// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAggregatorV3} from "../interfaces/IAggregatorV3.sol";

// Test double: values are truncated to the packed widths on purpose (see the contract notes).
// forge-lint: disable-start(unsafe-typecast)

/// @title MockPriceFeed
/// @notice A Chainlink-style feed anyone can move, for local chains and tests. Not for production.
/// @dev Everything `latestRoundData` returns lives in one slot, so that a read costs about what a cheap real
/// feed would; answers must fit in int128, timestamps in 40 bits and round ids in 40 bits.
contract MockPriceFeed is IAggregatorV3 {
    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 4;

    struct Round {
        int128 answer;
        uint40 roundId;
        uint40 startedAt;
        uint40 updatedAt;
        bool reverts;
    }

    Round internal _round;

    error FeedReverted();

    constructor(uint8 decimals_, int256 answer, string memory description_) {
        decimals = decimals_;
        description = description_;
        _setAnswer(answer);
    }

    /// @notice Sets the answer, stamped now, in a new round.
    function setAnswer(int256 answer) external {
        _setAnswer(answer);
    }

    function setUpdatedAt(uint256 updatedAt) external {
        _round.updatedAt = uint40(updatedAt);
    }

    function setRoundData(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80) external {
        Round storage r = _round;
        r.roundId = uint40(roundId);
        r.answer = int128(answer);
        r.startedAt = uint40(startedAt);
        r.updatedAt = uint40(updatedAt);
    }

    /// @notice Makes every read revert, like a deprecated or paused aggregator.
    function setReverts(bool reverts_) external {
        _round.reverts = reverts_;
    }

    function reverts() external view returns (bool) {
        return _round.reverts;
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _round;
        if (r.reverts) revert FeedReverted();
        return (roundId, r.answer, r.startedAt, r.updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        Round memory r = _round;
        if (r.reverts) revert FeedReverted();
        return (r.roundId, r.answer, r.startedAt, r.updatedAt, r.roundId);
    }

    function latestAnswer() external view returns (int256) {
        return _round.answer;
    }

    function _setAnswer(int256 answer) internal {
        Round storage r = _round;
        r.answer = int128(answer);
        r.roundId += 1;
        r.startedAt = uint40(block.timestamp);
        r.updatedAt = uint40(block.timestamp);
    }
}
// forge-lint: disable-end(unsafe-typecast)
