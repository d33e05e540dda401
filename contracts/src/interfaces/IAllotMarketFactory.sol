// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MarketConfig} from "./IAllotMarket.sol";

/// @title IAllotMarketFactory
/// @notice Creates markets, permissionlessly: one per configuration, each immutable once created. A market's id
/// is its address, which every topic name and signature domain already carries.
interface IAllotMarketFactory {
    /// @param id keccak256(abi.encode(config)): the configuration's key.
    event MarketCreated(address indexed market, address indexed creator, bytes32 indexed id, MarketConfig config);

    /// @notice A market with exactly this configuration exists already.
    error MarketExists(address market);
    /// @notice `initCode` is not the market code this factory was deployed for.
    error UnknownMarketCode(bytes32 codeHash, bytes32 expected);

    /// @notice Deploys a market for `config` (validated by the market's constructor, whose errors bubble up).
    /// @param initCode The market's creation code: the factory checks it against `MARKET_CODE_HASH` instead of
    /// carrying it, so that the factory stays under the contract size limit.
    function createMarket(bytes calldata initCode, MarketConfig calldata config) external returns (address market);

    /// @notice keccak256 of the market creation code (without constructor arguments) this factory deploys.
    function MARKET_CODE_HASH() external view returns (bytes32);

    /// @notice The market created for `id`, or zero.
    function marketOf(bytes32 id) external view returns (address);

    function isMarket(address market) external view returns (bool);

    /// @notice Every market created, in creation order.
    function markets() external view returns (address[] memory);

    function marketCount() external view returns (uint256);
}
