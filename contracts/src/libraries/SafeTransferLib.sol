// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "../interfaces/IERC20.sol";

/// @title SafeTransferLib
/// @notice ERC-20 transfers that accept tokens returning nothing, and report failure as a bool so that the
/// caller decides between reverting and crediting the recipient.
/// @dev A call "succeeds" when it did not revert and either returned a word equal to 1, or returned nothing
/// from an address that has code (a call to an empty address also returns nothing).
library SafeTransferLib {
    function tryTransfer(IERC20 token, address to, uint256 amount) internal returns (bool ok) {
        assembly ("memory-safe") {
            // Built past the free memory pointer and never kept, so the pointer need not move.
            let m := mload(0x40)
            mstore(m, shl(224, 0xa9059cbb)) // transfer(address,uint256)
            mstore(add(m, 0x04), to)
            mstore(add(m, 0x24), amount)
            mstore(0x00, 0)
            let success := call(gas(), token, 0, m, 0x44, 0x00, 0x20)
            if success {
                switch returndatasize()
                case 0 { ok := gt(extcodesize(token), 0) }
                default { ok := and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)) }
            }
        }
    }

    function tryTransferFrom(IERC20 token, address from, address to, uint256 amount) internal returns (bool ok) {
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, shl(224, 0x23b872dd)) // transferFrom(address,address,uint256)
            mstore(add(m, 0x04), from)
            mstore(add(m, 0x24), to)
            mstore(add(m, 0x44), amount)
            mstore(0x00, 0)
            let success := call(gas(), token, 0, m, 0x64, 0x00, 0x20)
            if success {
                switch returndatasize()
                case 0 { ok := gt(extcodesize(token), 0) }
                default { ok := and(gt(returndatasize(), 0x1f), eq(mload(0x00), 1)) }
            }
        }
    }

    /// @dev Returns 0 when the call fails or returns less than a word; only used on the market's own tokens.
    function balanceOfSelf(IERC20 token) internal view returns (uint256 amount) {
        assembly ("memory-safe") {
            mstore(0x00, shl(224, 0x70a08231)) // balanceOf(address)
            mstore(0x04, address())
            let success := staticcall(gas(), token, 0x00, 0x24, 0x00, 0x20)
            amount := mul(mload(0x00), and(success, gt(returndatasize(), 0x1f)))
        }
    }
}
