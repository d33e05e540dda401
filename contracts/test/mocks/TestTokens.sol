// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MockERC20} from "../../src/mocks/MockERC20.sol";
import {IERC1271} from "../../src/interfaces/IERC1271.sol";

/// @dev Burns `feeBps` of every transfer once switched on.
contract FeeOnTransferToken is MockERC20 {
    uint256 public feeBps;

    constructor() MockERC20("Fee USD", "fUSD", 6) {}

    function setFee(uint256 feeBps_) external {
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 amount) internal override {
        uint256 fee = from == address(0) || to == address(0) ? 0 : amount * feeBps / 10_000;
        super._update(from, to, amount - fee);
        if (fee != 0) super._update(from, address(0), fee);
    }
}

/// @dev Reverts transfers to or from blocklisted accounts, like USDC.
contract BlocklistToken is MockERC20 {
    mapping(address => bool) public blocked;

    error Blocked(address account);

    constructor(uint8 decimals_) MockERC20("Blocklist Token", "BLT", decimals_) {}

    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    function _update(address from, address to, uint256 amount) internal override {
        if (blocked[from]) revert Blocked(from);
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, amount);
    }
}

/// @dev Returns false instead of reverting for blocklisted recipients, and nothing at all when `silent`.
contract ReturnsFalseToken is MockERC20 {
    mapping(address => bool) public refused;

    constructor() MockERC20("Falsy USD", "zUSD", 6) {}

    function setRefused(address account, bool value) external {
        refused[account] = value;
    }

    function transfer(address to, uint256 amount) external override returns (bool) {
        if (refused[to]) return false;
        _update(msg.sender, to, amount);
        return true;
    }
}

/// @dev Calls `target` with `data` on every transfer while armed: a hostile token trying to re-enter.
contract CallbackToken is MockERC20 {
    address public target;
    bytes public data;
    bool public armed;
    bool public swallow;
    bool public lastCallSucceeded;
    bytes public lastRevert;
    uint256 public attempts;

    constructor(uint8 decimals_) MockERC20("Callback Token", "cbTKN", decimals_) {}

    function arm(address target_, bytes calldata data_, bool swallow_) external {
        target = target_;
        data = data_;
        armed = true;
        swallow = swallow_;
    }

    function disarm() external {
        armed = false;
    }

    function _update(address from, address to, uint256 amount) internal override {
        super._update(from, to, amount);
        if (armed && from != address(0) && to != address(0)) {
            armed = false;
            ++attempts;
            (bool ok, bytes memory ret) = target.call(data);
            lastCallSucceeded = ok;
            lastRevert = ret;
            if (!ok && !swallow) {
                assembly {
                    revert(add(ret, 0x20), mload(ret))
                }
            }
            armed = true;
        }
    }
}

/// @dev An EIP-1271 account whose owner key signs for it.
contract MockWallet is IERC1271 {
    address public immutable signer;
    bool public broken;

    constructor(address signer_) {
        signer = signer_;
    }

    function setBroken(bool value) external {
        broken = value;
    }

    function isValidSignature(bytes32 hash, bytes calldata signature) external view returns (bytes4) {
        if (broken || signature.length != 65) return 0xffffffff;
        bytes32 r = bytes32(signature[0:32]);
        bytes32 s = bytes32(signature[32:64]);
        uint8 v = uint8(signature[64]);
        return ecrecover(hash, v, r, s) == signer ? IERC1271.isValidSignature.selector : bytes4(0xffffffff);
    }

    function call(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory ret) = target.call(data);
        require(ok, "call failed");
        return ret;
    }
}

/// @dev A feed that can start answering with one word instead of five, like a broken aggregator.
contract ShortAnswerFeed {
    bool public short;
    uint256 public updatedAt = block.timestamp;

    function setShort(bool value) external {
        short = value;
    }

    function refresh() external {
        updatedAt = block.timestamp;
    }

    function decimals() external pure returns (uint8) {
        return 8;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (short) {
            assembly {
                mstore(0, 1)
                return(0, 32)
            }
        }
        return (1, 2e8, updatedAt, updatedAt, 1);
    }
}
