// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAggregatorV3} from "../interfaces/IAggregatorV3.sol";

/// @title MockPriceFeed
/// @notice A Chainlink-style feed anyone can move, for local chains and tests. Not for production.
contract MockPriceFeed is IAggregatorV3 {
    uint8 public immutable decimals;
    string public description;
    uint256 public constant version = 4;

    int256 internal _answer;
    // Packed: the market reads these with `_answer` on every priced call.
    uint80 internal _roundId;
    uint64 internal _updatedAt;
    uint64 internal _startedAt;
    bool public reverts;

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
        _updatedAt = uint64(updatedAt);
    }

    function setRoundData(uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80) external {
        _roundId = roundId;
        _answer = answer;
        _startedAt = uint64(startedAt);
        _updatedAt = uint64(updatedAt);
    }

    /// @notice Makes every read revert, like a deprecated or paused aggregator.
    function setReverts(bool reverts_) external {
        reverts = reverts_;
    }

    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        if (reverts) revert FeedReverted();
        return (roundId, _answer, _startedAt, _updatedAt, roundId);
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (reverts) revert FeedReverted();
        return (_roundId, _answer, _startedAt, _updatedAt, _roundId);
    }

    function latestAnswer() external view returns (int256) {
        return _answer;
    }

    function _setAnswer(int256 answer) internal {
        _answer = answer;
        ++_roundId;
        _startedAt = uint64(block.timestamp);
        _updatedAt = uint64(block.timestamp);
    }
}
