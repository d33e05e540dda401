// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAllotMarket} from "../interfaces/IAllotMarket.sol";
import {IERC1271} from "../interfaces/IERC1271.sol";

/// @title SignatureLib
/// @notice Checks that `signer` approved `digest`: ECDSA for accounts without code, EIP-1271 for contracts.
library SignatureLib {
    /// @dev secp256k1 order / 2. Signatures with a larger `s` are the malleable twin of a low-s one.
    uint256 internal constant HALF_CURVE_ORDER = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0;

    /// @dev Reverts with the `IAllotMarket` error naming the broken condition. A well-formed ECDSA signature by
    /// `signer` is accepted first, so an account without code costs no EXTCODESIZE on the happy path; otherwise
    /// a signer with code decides through EIP-1271, and one without gets the ECDSA error.
    function verify(address signer, bytes32 digest, bytes calldata signature) internal view {
        (address recovered, bytes4 failure) = tryRecover(digest, signature);
        if (failure == bytes4(0) && recovered == signer) return;
        if (signer.code.length != 0) {
            (bool success, bytes memory ret) =
                signer.staticcall(abi.encodeCall(IERC1271.isValidSignature, (digest, signature)));
            bytes32 word;
            if (success && ret.length >= 32) {
                assembly ("memory-safe") {
                    word := mload(add(ret, 0x20))
                }
            }
            if (word != bytes32(IERC1271.isValidSignature.selector)) {
                revert IAllotMarket.InvalidContractSignature(signer);
            }
            return;
        }
        if (failure == IAllotMarket.InvalidSignatureLength.selector) {
            revert IAllotMarket.InvalidSignatureLength(signature.length);
        }
        if (failure == IAllotMarket.SignatureHighS.selector) revert IAllotMarket.SignatureHighS();
        if (failure == IAllotMarket.InvalidSignatureV.selector) {
            revert IAllotMarket.InvalidSignatureV(uint8(signature[64]));
        }
        if (failure == IAllotMarket.InvalidSignature.selector) revert IAllotMarket.InvalidSignature();
        revert IAllotMarket.SignerMismatch(recovered, signer);
    }

    /// @notice Like `recover`, but returns the selector of the error instead of reverting (zero when none).
    function tryRecover(bytes32 digest, bytes calldata signature)
        internal
        pure
        returns (address recovered, bytes4 failure)
    {
        if (signature.length != 65) return (address(0), IAllotMarket.InvalidSignatureLength.selector);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (uint256(s) > HALF_CURVE_ORDER) return (address(0), IAllotMarket.SignatureHighS.selector);
        if (v != 27 && v != 28) return (address(0), IAllotMarket.InvalidSignatureV.selector);
        recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0)) return (address(0), IAllotMarket.InvalidSignature.selector);
    }

    /// @notice 65-byte (r, s, v) signatures only; rejects high-s, v other than 27/28 and a zero result.
    function recover(bytes32 digest, bytes calldata signature) internal pure returns (address recovered) {
        if (signature.length != 65) revert IAllotMarket.InvalidSignatureLength(signature.length);
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly ("memory-safe") {
            r := calldataload(signature.offset)
            s := calldataload(add(signature.offset, 0x20))
            v := byte(0, calldataload(add(signature.offset, 0x40)))
        }
        if (uint256(s) > HALF_CURVE_ORDER) revert IAllotMarket.SignatureHighS();
        if (v != 27 && v != 28) revert IAllotMarket.InvalidSignatureV(v);
        recovered = ecrecover(digest, v, r, s);
        if (recovered == address(0)) revert IAllotMarket.InvalidSignature();
    }
}
