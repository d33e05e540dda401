// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAllotMarket} from "../interfaces/IAllotMarket.sol";

/// @title MathLib
/// @notice Multiply-then-divide with a 512-bit intermediate product; every name says which way it rounds.
/// @dev Collateral values that back obligations round down; amounts taken from someone round in the
/// market's favour, as each call site states.
library MathLib {
    uint256 internal constant BPS = 10_000;
    uint256 internal constant WAD = 1e18;

    /// @return z floor(x * y / d)
    function mulDivDown(uint256 x, uint256 y, uint256 d) internal pure returns (uint256 z) {
        unchecked {
            // [hi lo] = x * y as a 512-bit number; mulmod by 2^256 - 1 gives the product modulo that, from
            // which the high word follows (Chinese remainder theorem).
            uint256 lo = x * y;
            uint256 mm = mulmod(x, y, type(uint256).max);
            uint256 hi = mm - lo - (mm < lo ? 1 : 0);

            if (hi == 0) {
                if (d == 0) revert IAllotMarket.MulDivOverflow();
                return lo / d;
            }
            if (d <= hi) revert IAllotMarket.MulDivOverflow();

            // Subtract the remainder so the division below is exact.
            uint256 rem = mulmod(x, y, d);
            hi -= rem > lo ? 1 : 0;
            lo -= rem;

            // Divide out the largest power of two that divides d; shift its complement into lo from hi.
            uint256 twos = d & (0 - d);
            d /= twos;
            lo /= twos;
            uint256 flip = (0 - twos) / twos + 1;
            lo |= hi * flip;

            // d is odd now, so it has an inverse modulo 2^256. Newton-Raphson doubles the correct bits per
            // step: 4 bits from the seed, then 8, 16, 32, 64, 128, 256.
            uint256 inv = (3 * d) ^ 2;
            inv *= 2 - d * inv;
            inv *= 2 - d * inv;
            inv *= 2 - d * inv;
            inv *= 2 - d * inv;
            inv *= 2 - d * inv;
            inv *= 2 - d * inv;

            // The quotient is exact, so multiplying by the inverse gives it modulo 2^256, which is the answer.
            z = lo * inv;
        }
    }

    /// @return z ceil(x * y / d)
    function mulDivUp(uint256 x, uint256 y, uint256 d) internal pure returns (uint256 z) {
        z = mulDivDown(x, y, d);
        if (mulmod(x, y, d) != 0) {
            if (z == type(uint256).max) revert IAllotMarket.MulDivOverflow();
            unchecked {
                ++z;
            }
        }
    }

    /// @return floor(x * bps / 10_000)
    function bpsDown(uint256 x, uint256 bps) internal pure returns (uint256) {
        return mulDivDown(x, bps, BPS);
    }

    /// @return ceil(x * bps / 10_000)
    function bpsUp(uint256 x, uint256 bps) internal pure returns (uint256) {
        return mulDivUp(x, bps, BPS);
    }

    function min(uint256 a, uint256 b) internal pure returns (uint256) {
        return a < b ? a : b;
    }

    /// @return a - b, or zero when b > a.
    function zeroFloorSub(uint256 a, uint256 b) internal pure returns (uint256) {
        unchecked {
            return a > b ? a - b : 0;
        }
    }
}
