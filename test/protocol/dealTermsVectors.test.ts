import { readFileSync } from 'node:fs'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { recoverDealTermsSigner } from '../../protocol/index.ts'
import { buildVectors } from './generateDealTermsVectors.ts'

const test = suite('deal-terms vectors')
const file = JSON.parse(readFileSync(new URL('../../protocol/vectors/deal-terms.json', import.meta.url), 'utf8'))

test('protocol/vectors/deal-terms.json is what both implementations compute today', async () => {
  assert.equal(file, JSON.parse(JSON.stringify(await buildVectors())))
})

test('each vector’s signature recovers to its signer', async () => {
  for (const vector of file.vectors) {
    const terms = {
      ...vector.terms,
      price: BigInt(vector.terms.price),
      collateral: BigInt(vector.terms.collateral),
      deadline: BigInt(vector.terms.deadline),
      expiry: BigInt(vector.terms.expiry),
      salt: BigInt(vector.terms.salt),
    }
    const signer = await recoverDealTermsSigner({
      terms,
      signature: vector.signature,
      chainId: file.domain.chainId,
      market: file.domain.verifyingContract,
    })
    assert.is(signer, vector.signer)
  }
})

test.run()
