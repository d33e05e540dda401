import { keccak256, toHex, type Hex } from 'viem'
import { signDealTerms } from '../../node/chain/actions/signDealTerms.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import type { ChainClients } from '../../node/chain/clients.ts'
import type { Deployment } from '../../node/chain/deployment.ts'
import { chainTime } from '../../node/chain/devTime.ts'

let salt = 0n

/** Terms between two dev accounts, signed by the provider: what negotiation yields. */
export async function signedTerms(
  deployment: Deployment,
  provider: ChainClients,
  client: ChainClients,
  overrides: Partial<DealTerms> = {},
): Promise<{ terms: DealTerms; signature: Hex }> {
  const now = await chainTime(provider)
  const terms: DealTerms = {
    client: client.wallet.account.address,
    provider: provider.wallet.account.address,
    price: 10_000_000n,
    collateral: 20_000_000n,
    jobHash: keccak256(toHex(`job ${salt}`)),
    deadline: now + 600n,
    expiry: now + 60n,
    salt: ++salt,
    ...overrides,
  }
  const signature = await signDealTerms(provider, { deployment, terms })
  return { terms, signature }
}
