// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DealTerms} from "../interfaces/IAllotMarket.sol";

/// @title DealTermsLib
/// @notice EIP-712 hashing of `DealTerms`. The digest is the deal id.
library DealTermsLib {
    bytes32 internal constant TYPEHASH = keccak256(
        "DealTerms(address client,address provider,uint128 price,uint128 collateral,bytes32 jobHash,uint64 deadline,uint64 expiry,uint256 salt)"
    );
    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant NAME_HASH = keccak256("allot");
    bytes32 internal constant VERSION_HASH = keccak256("1");

    function domainSeparator(address verifyingContract) internal view returns (bytes32) {
        return keccak256(abi.encode(DOMAIN_TYPEHASH, NAME_HASH, VERSION_HASH, block.chainid, verifyingContract));
    }

    /// @notice keccak256("\x19\x01" || separator || keccak256(TYPEHASH || abi.encode(terms fields))).
    /// @dev All eight fields are static, so the calldata struct is exactly the 256 bytes `hashStruct` encodes.
    /// Fields with dirty high bits hash to an id no provider signed and no deal has; they cannot reach a deal.
    function digest(bytes32 separator, DealTerms calldata terms) internal pure returns (bytes32 dealId) {
        bytes32 typehash = TYPEHASH;
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, typehash)
            calldatacopy(add(m, 0x20), terms, 0x100)
            let structHash := keccak256(m, 0x120)
            mstore(m, 0x1901000000000000000000000000000000000000000000000000000000000000)
            mstore(add(m, 0x02), separator)
            mstore(add(m, 0x22), structHash)
            dealId := keccak256(m, 0x42)
        }
    }
}
