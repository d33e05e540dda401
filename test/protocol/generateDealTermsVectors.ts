// Writes protocol/vectors/deal-terms.json: `node --import tsx test/protocol/generateDealTermsVectors.ts`.
// deal-terms.test.ts checks the file against both implementations, so a
// stale or hand-edited file fails the suite.
import { writeFileSync } from 'node:fs'
import { keccak256, toHex } from 'viem'
import type { DealTerms } from '../../protocol/index.ts'
import { dealTermsTypedData, hashDealTerms } from '../../protocol/index.ts'
import { clientAccount, market, providerAccount } from './fixtures.ts'
import { DEAL_TERMS_TYPE, dealTermsDigest, dealTermsStructHash, domainSeparator } from './dealTermsDigest.ts'

export const vectorTerms: { name: string; terms: DealTerms }[] = [
  {
    name: 'typical',
    terms: {
      client: clientAccount.address,
      provider: providerAccount.address,
      price: 2_400_000n,
      collateral: 3_600_000n,
      jobHash: '0x9c22ff5f21f0b81b113e63f7db6da94fedef11b2119b4088b89664fb9a3cb658',
      deadline: 1_700_004_200n,
      expiry: 1_700_000_300n,
      salt: 42n,
    },
  },
  {
    name: 'extremes',
    terms: {
      client: '0x0000000000000000000000000000000000000001',
      provider: providerAccount.address,
      price: 2n ** 128n - 1n,
      collateral: 0n,
      jobHash: '0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff',
      deadline: 2n ** 64n - 1n,
      expiry: 0n,
      salt: 2n ** 256n - 1n,
    },
  },
]

export async function buildVectors() {
  const vectors = []
  for (const { name, terms } of vectorTerms) {
    const digest = hashDealTerms(terms, market)
    if (digest !== dealTermsDigest(terms, market.chainId, market.market)) throw new Error(`implementations disagree on ${name}`)
    vectors.push({
      name,
      terms: Object.fromEntries(Object.entries(terms).map(([k, v]) => [k, typeof v === 'bigint' ? v.toString() : v])),
      structHash: dealTermsStructHash(terms),
      digest,
      signer: providerAccount.address,
      signature: await providerAccount.signTypedData(dealTermsTypedData(terms, market)),
    })
  }
  return {
    description:
      'EIP-712 DealTerms test vectors for the allot market contract. dealId = digest. Integers are decimal strings. The signature is by anvil dev account #0.',
    domain: { name: 'allot', version: '1', chainId: market.chainId, verifyingContract: market.market },
    typeString: DEAL_TERMS_TYPE,
    typeHash: keccak256(toHex(DEAL_TERMS_TYPE)),
    domainSeparator: domainSeparator(market.chainId, market.market),
    vectors,
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = new URL('../../protocol/vectors/deal-terms.json', import.meta.url)
  writeFileSync(path, `${JSON.stringify(await buildVectors(), null, 2)}\n`)
  console.log(`wrote ${path.pathname}`)
}
