import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { ensureAllowance } from './ensureAllowance.ts'
import { writeMarket, type WriteResult } from './writeMarket.ts'

export type DepositPaymentParameters = { deployment: Pick<Deployment, 'market' | 'paymentToken'>; amount: bigint; signal?: AbortSignal }

/**
 * Puts payment tokens into the caller's credit in the market; the client's next deals are paid from it
 * without a token transfer. Withdrawn with `claim(paymentToken)`.
 *
 * @returns the transaction hash, receipt and gas used.
 * @throws ContractRevertError naming the market's custom error when the call would revert.
 */
export async function depositPayment(clients: ChainClients, { deployment, amount, signal }: DepositPaymentParameters): Promise<WriteResult> {
  await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount, signal })
  return writeMarket(clients, deployment, 'depositPayment', [amount], { signal })
}
