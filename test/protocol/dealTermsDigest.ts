import { type Address, encodeAbiParameters, type Hex, keccak256, concat, toHex } from 'viem'
import type { DealTerms } from '../../protocol/index.ts'

// The Solidity contract's way of computing a deal id, written out by hand so
// that tests check `hashDealTerms` against an implementation that shares no code with it.

export const DEAL_TERMS_TYPE =
  'DealTerms(address client,address provider,uint128 price,uint128 collateral,bytes32 jobHash,uint64 deadline,uint64 expiry,uint256 salt)'
export const DOMAIN_TYPE = 'EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)'

export function domainSeparator(chainId: number, verifyingContract: Address): Hex {
  return keccak256(
    encodeAbiParameters(
      [{ type: 'bytes32' }, { type: 'bytes32' }, { type: 'bytes32' }, { type: 'uint256' }, { type: 'address' }],
      [keccak256(toHex(DOMAIN_TYPE)), keccak256(toHex('allot')), keccak256(toHex('1')), BigInt(chainId), verifyingContract],
    ),
  )
}

export function dealTermsStructHash(terms: DealTerms): Hex {
  return keccak256(
    encodeAbiParameters(
      [
        { type: 'bytes32' },
        { type: 'address' },
        { type: 'address' },
        { type: 'uint128' },
        { type: 'uint128' },
        { type: 'bytes32' },
        { type: 'uint64' },
        { type: 'uint64' },
        { type: 'uint256' },
      ],
      [
        keccak256(toHex(DEAL_TERMS_TYPE)),
        terms.client,
        terms.provider,
        terms.price,
        terms.collateral,
        terms.jobHash,
        terms.deadline,
        terms.expiry,
        terms.salt,
      ],
    ),
  )
}

export function dealTermsDigest(terms: DealTerms, chainId: number, verifyingContract: Address): Hex {
  return keccak256(concat(['0x1901', domainSeparator(chainId, verifyingContract), dealTermsStructHash(terms)]))
}
