import { erc20Abi, formatEther, formatUnits } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'
import { ClientUnfundedError } from './errors.ts'

/** Gas an approval and an `openDeal` take together, with room to spare; settling later needs less. */
const GAS_FOR_A_DEAL = 400_000n

export type CheckBeforePayingParameters = {
  deployment: Pick<Deployment, 'paymentToken' | 'market'>
  /** The most the job may cost, in payment-token base units. */
  maxPrice: bigint
  payment: { symbol: string; decimals: number }
}

/**
 * Checks that the client can pay for a deal before it negotiates one: enough of the
 * chain's coin for the gas of approving and opening, and enough payment tokens for
 * the highest price it bids — in its wallet, or as credit in the market (refunds,
 * compensation, deposits), which pays a deal whose whole price it covers. A provider
 * then never signs terms the client cannot open.
 *
 * @returns the balances and allowance it read.
 * @throws ClientUnfundedError naming what is missing, how much, and what to do.
 */
export async function checkBeforePaying(clients: ChainClients, { deployment, maxPrice, payment }: CheckBeforePayingParameters) {
  const owner = clients.wallet.account.address
  let gas: bigint, gasPrice: bigint, balance: bigint, allowance: bigint, credit: bigint
  try {
    ;[gas, gasPrice, balance, allowance, credit] = await Promise.all([
      clients.public.getBalance({ address: owner }),
      clients.public.getGasPrice(),
      clients.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'balanceOf', args: [owner] }),
      clients.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'allowance', args: [owner, deployment.market] }),
      clients.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'claimable', args: [deployment.paymentToken, owner] }),
    ])
  } catch (error) {
    throw toChainError(error, { functionName: 'balanceOf', rpcUrl: clients.rpcUrl })
  }
  const gasNeeded = GAS_FOR_A_DEAL * gasPrice
  const tokens = (value: bigint) => `${formatUnits(value, payment.decimals)} ${payment.symbol}`
  if (gas < gasNeeded)
    throw new ClientUnfundedError({
      message: `Account ${owner} holds ${formatEther(gas)} of the chain's coin, less than the ${formatEther(gasNeeded)} needed for the gas of opening a deal.`,
      hint: 'Send it some of the chain’s coin (on `allot chain dev`, from a dev account), then submit again. Nothing was negotiated or paid.',
    })
  // The market takes a deal's price from the credit when the credit covers all of it, else from the wallet.
  if (balance < maxPrice && credit < maxPrice)
    throw new ClientUnfundedError({
      message: `Account ${owner} holds ${tokens(balance)}${credit > 0n ? ` and ${tokens(credit)} of credit in the market` : ''}, less than the ${tokens(maxPrice)} this job may cost (--max-price).`,
      hint: `Fund it with at least ${tokens(maxPrice - balance)} more, or lower --max-price. Nothing was negotiated or paid.`,
    })
  return { gas, gasNeeded, balance, allowance, credit }
}
