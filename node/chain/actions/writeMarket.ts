import type { Abi, ContractFunctionArgs, ContractFunctionName, Hash, TransactionReceipt } from 'viem'
import { allotMarketAbi } from '../../../contracts/abi/index.ts'
import type { ChainClients } from '../clients.ts'
import type { Deployment } from '../deployment.ts'
import { ContractRevertError, toChainError } from '../errors.ts'

type MarketAbi = typeof allotMarketAbi
export type MarketWriteName = ContractFunctionName<MarketAbi, 'nonpayable'>

export type WriteResult = { hash: Hash; receipt: TransactionReceipt; gasUsed: bigint }

export type WriteContractActionParameters<abi extends Abi, name extends ContractFunctionName<abi, 'nonpayable'>> = {
  address: `0x${string}`
  abi: abi
  functionName: name
  args: ContractFunctionArgs<abi, 'nonpayable', name>
  signal?: AbortSignal
  /** Called with the transaction hash as soon as it is sent, before its receipt: the moment to remember it. */
  onSent?: (hash: Hash) => unknown
}

/**
 * Simulates a call, sends it and waits for its receipt. A revert is thrown as a
 * `ContractRevertError` carrying the custom error's name and arguments; a dead
 * endpoint as a `ChainUnreachableError`. Simulating first means a call that would
 * revert costs nothing and changes nothing.
 */
export async function writeContractAction<abi extends Abi, name extends ContractFunctionName<abi, 'nonpayable'>>(
  clients: ChainClients,
  { address, abi, functionName, args, signal, onSent }: WriteContractActionParameters<abi, name>,
): Promise<WriteResult> {
  try {
    signal?.throwIfAborted()
    const { request } = await clients.public.simulateContract({ address, abi, functionName, args, account: clients.wallet.account } as never)
    // viem trims the simulated request's ABI to the one function; the whole ABI is
    // passed back so that a revert found only at gas estimation still decodes by name.
    const hash = await clients.wallet.writeContract({ ...(request as object), abi } as never)
    await onSent?.(hash)
    const receipt = await clients.public.waitForTransactionReceipt({ hash })
    if (receipt.status !== 'success')
      throw new ContractRevertError({ functionName, errorName: 'unknown', args: [], cause: new Error(`transaction ${hash} reverted`) })
    return { hash, receipt, gasUsed: receipt.gasUsed }
  } catch (error) {
    throw toChainError(error, { functionName, rpcUrl: clients.rpcUrl })
  }
}

/** `writeContractAction` on the market of a deployment. */
export function writeMarket<name extends MarketWriteName>(
  clients: ChainClients,
  deployment: Pick<Deployment, 'market'>,
  functionName: name,
  args: ContractFunctionArgs<MarketAbi, 'nonpayable', name>,
  options: { signal?: AbortSignal; onSent?: (hash: Hash) => unknown } = {},
): Promise<WriteResult> {
  return writeContractAction(clients, { address: deployment.market, abi: allotMarketAbi, functionName, args, ...options })
}
