import type { TypedDataDomain } from 'viem'
import { DOMAIN_NAME, DOMAIN_VERSION } from '../constants.ts'
import type { MarketParameters } from '../types/resources.ts'

export type MarketDomainParameters = MarketParameters

export type MarketDomainReturnType = {
  name: typeof DOMAIN_NAME
  version: typeof DOMAIN_VERSION
  chainId: number
  verifyingContract: `0x${string}`
} & TypedDataDomain

/**
 * The EIP-712 domain of a market, shared by asks, bids, cancels and deal terms.
 *
 * @param parameters - The chain id and market contract address.
 * @returns `{ name: 'allot', version: '1', chainId, verifyingContract: market }`.
 * @example
 * marketDomain({ chainId: 31337, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })
 */
export function marketDomain({ chainId, market }: MarketDomainParameters): MarketDomainReturnType {
  return { name: DOMAIN_NAME, version: DOMAIN_VERSION, chainId, verifyingContract: market }
}
