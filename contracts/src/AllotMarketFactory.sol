// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAllotMarketFactory} from "./interfaces/IAllotMarketFactory.sol";
import {MarketConfig} from "./interfaces/IAllotMarket.sol";

/// @title AllotMarketFactory
/// @notice Anyone creates a market with any configuration inside the market's hard bounds; nobody can change one
/// afterwards. The factory has no owner and no setter.
contract AllotMarketFactory is IAllotMarketFactory {
    /// @inheritdoc IAllotMarketFactory
    bytes32 public immutable MARKET_CODE_HASH;

    /// @inheritdoc IAllotMarketFactory
    mapping(bytes32 id => address) public marketOf;
    /// @inheritdoc IAllotMarketFactory
    mapping(address market => bool) public isMarket;
    address[] internal _markets;

    /// @param marketCodeHash keccak256 of `type(AllotMarket).creationCode`.
    constructor(bytes32 marketCodeHash) {
        MARKET_CODE_HASH = marketCodeHash;
    }

    /// @inheritdoc IAllotMarketFactory
    function createMarket(bytes calldata initCode, MarketConfig calldata config) external returns (address market) {
        bytes32 codeHash = keccak256(initCode);
        if (codeHash != MARKET_CODE_HASH) revert UnknownMarketCode(codeHash, MARKET_CODE_HASH);
        bytes32 id = keccak256(abi.encode(config));
        address existing = marketOf[id];
        if (existing != address(0)) revert MarketExists(existing);

        bytes memory code = abi.encodePacked(initCode, abi.encode(config));
        assembly ("memory-safe") {
            market := create2(0, add(code, 0x20), mload(code), id)
            // The constructor's error (bounds, decimals, feed) explains the refusal: pass it on unchanged.
            if iszero(market) {
                let m := mload(0x40)
                returndatacopy(m, 0, returndatasize())
                revert(m, returndatasize())
            }
        }

        marketOf[id] = market;
        isMarket[market] = true;
        _markets.push(market);

        emit MarketCreated(market, msg.sender, id, config);
    }

    /// @inheritdoc IAllotMarketFactory
    function markets() external view returns (address[] memory) {
        return _markets;
    }

    /// @inheritdoc IAllotMarketFactory
    function marketCount() external view returns (uint256) {
        return _markets.length;
    }
}
