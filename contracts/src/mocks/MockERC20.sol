// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "../interfaces/IERC20.sol";

/// @title MockERC20
/// @notice A plain ERC-20 with public `mint` for local chains and tests. Not for production.
/// @dev `_update` is the one place balances change, so test tokens (fee-on-transfer, blocklist, callbacks)
/// override it alone.
contract MockERC20 is IERC20 {
    string public name;
    string public symbol;
    uint8 public immutable decimals;
    uint256 public totalSupply;

    mapping(address => uint256) public balanceOf;
    mapping(address => mapping(address => uint256)) public allowance;

    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) {
        name = name_;
        symbol = symbol_;
        decimals = decimals_;
    }

    function setName(string calldata name_) external {
        name = name_;
    }

    function setSymbol(string calldata symbol_) external {
        symbol = symbol_;
    }

    function mint(address to, uint256 amount) external {
        _update(address(0), to, amount);
    }

    function burn(address from, uint256 amount) external {
        _update(from, address(0), amount);
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        allowance[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external virtual returns (bool) {
        _update(msg.sender, to, amount);
        return true;
    }

    function transferFrom(address from, address to, uint256 amount) external virtual returns (bool) {
        uint256 allowed = allowance[from][msg.sender];
        // An infinite approval is never spent down, as most tokens do.
        if (allowed != type(uint256).max) {
            if (allowed < amount) revert InsufficientAllowance(msg.sender, allowed, amount);
            allowance[from][msg.sender] = allowed - amount;
        }
        _update(from, to, amount);
        return true;
    }

    function _update(address from, address to, uint256 amount) internal virtual {
        if (from == address(0)) {
            totalSupply += amount;
        } else {
            uint256 balance = balanceOf[from];
            if (balance < amount) revert InsufficientBalance(from, balance, amount);
            unchecked {
                balanceOf[from] = balance - amount;
            }
        }
        if (to == address(0)) {
            unchecked {
                totalSupply -= amount;
            }
        } else {
            unchecked {
                balanceOf[to] += amount;
            }
        }
        emit Transfer(from, to, amount);
    }
}
