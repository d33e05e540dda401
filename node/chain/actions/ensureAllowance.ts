import { erc20Abi, maxUint256, type Address } from 'viem'
import type { ChainClients } from '../clients.ts'
import { writeContractAction, type WriteResult } from './writeMarket.ts'

export type EnsureAllowanceParameters = {
  token: Address
  spender: Address
  amount: bigint
  /** Approve this much when more is needed; the default approves once for good. */
  approve?: bigint
  signal?: AbortSignal
}

/**
 * Approves `spender` for the caller's `token` only when its allowance is below
 * `amount`, so a steady client or provider pays for one approval, not one per deal.
 *
 * @returns the approval transaction, or `undefined` when none was needed.
 */
export async function ensureAllowance(clients: ChainClients, { token, spender, amount, approve = maxUint256, signal }: EnsureAllowanceParameters): Promise<WriteResult | undefined> {
  const owner = clients.wallet.account.address
  const allowance = await clients.public.readContract({ address: token, abi: erc20Abi, functionName: 'allowance', args: [owner, spender] })
  if (allowance >= amount) return undefined
  return writeContractAction(clients, { address: token, abi: erc20Abi, functionName: 'approve', args: [spender, approve], signal })
}
