import { erc20Abi, type Address } from 'viem'
import { allotMarketAbi } from '../../../contracts/abi/index.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { toChainError } from '../errors.ts'

export type GetAccountBalancesParameters = { deployment: Pick<Deployment, 'market' | 'paymentToken' | 'collateralToken'>; account: Address }

/** Credits a deal liquidation took from a provider, claimable only from `unlockAt` (unix seconds). */
export type VestingCredit = { amount: bigint; unlockAt: bigint }

/**
 * One market token as an account holds it: in its wallet, approved to the market, and credited by the market.
 * `claimable` is what `claim` sends now: refunds of liquidated deals, what the insurance fund paid, a client's
 * deposited credit, payouts that failed, and vesting credits that have unlocked. `vesting` is what is still
 * locked, earliest first: compensation and keeper bonuses taken from a provider, which wait one to two unbonding
 * periods so that a provider's collateral never leaves faster than a withdrawal.
 */
export type TokenBalance = { token: Address; balance: bigint; allowance: bigint; claimable: bigint; vesting: VestingCredit[] }

/**
 * `earnings`: settled deal prices the market credits the account as a provider (payment-token units, before the
 * protocol fee), withdrawn with `withdrawEarnings`.
 */
export type AccountBalances = { account: Address; gas: bigint; payment: TokenBalance; collateral: TokenBalance; earnings: bigint }

/**
 * What an account holds for the market: native coin for gas, and for the payment and
 * collateral tokens its balance, its allowance to the market and what the market owes it.
 *
 * @returns amounts in base units (wei, token units).
 * @example
 * const { gas, payment } = await getAccountBalances(clients, { deployment, account: clients.wallet.account.address })
 */
export async function getAccountBalances(clients: ChainClients, { deployment, account }: GetAccountBalancesParameters): Promise<AccountBalances> {
  const token = async (address: Address): Promise<TokenBalance> => {
    const [balance, allowance, credit, buckets, block] = await Promise.all([
      clients.public.readContract({ address, abi: erc20Abi, functionName: 'balanceOf', args: [account] }),
      clients.public.readContract({ address, abi: erc20Abi, functionName: 'allowance', args: [account, deployment.market] }),
      clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'claimable', args: [address, account] }),
      clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'vesting', args: [address, account] }),
      clients.public.getBlock(),
    ])
    // Unlocked against chain time, as `claim` will see it (a dev chain's clock may run ahead of this machine's).
    const unlocked = buckets.filter(({ amount, unlockAt }) => amount > 0n && BigInt(unlockAt) <= block.timestamp)
    const vesting = buckets
      .filter(({ amount, unlockAt }) => amount > 0n && BigInt(unlockAt) > block.timestamp)
      .map(({ amount, unlockAt }) => ({ amount, unlockAt: BigInt(unlockAt) }))
      .sort((a, b) => (a.unlockAt < b.unlockAt ? -1 : 1))
    return { token: address, balance, allowance, claimable: credit + unlocked.reduce((sum, { amount }) => sum + amount, 0n), vesting }
  }
  try {
    const [gas, payment, collateral, position] = await Promise.all([
      clients.public.getBalance({ address: account }),
      token(deployment.paymentToken),
      token(deployment.collateralToken),
      clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'position', args: [account] }),
    ])
    return { account, gas, payment, collateral, earnings: position.earnings }
  } catch (error) {
    throw toChainError(error, { functionName: 'balanceOf', rpcUrl: clients.rpcUrl })
  }
}
