// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title IERC20
/// @notice The part of ERC-20 the market uses, plus the metadata it reads once at construction.
interface IERC20 {
    event Transfer(address indexed from, address indexed to, uint256 amount);
    event Approval(address indexed owner, address indexed spender, uint256 amount);

    function name() external view returns (string memory);
    function symbol() external view returns (string memory);
    function decimals() external view returns (uint8);
    function totalSupply() external view returns (uint256);
    function balanceOf(address account) external view returns (uint256);
    function allowance(address owner, address spender) external view returns (uint256);

    /// @dev Some tokens return nothing instead of `true`; call through `SafeTransferLib`, never directly.
    function transfer(address to, uint256 amount) external returns (bool);
    function transferFrom(address from, address to, uint256 amount) external returns (bool);
    function approve(address spender, uint256 amount) external returns (bool);
}
