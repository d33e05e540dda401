import type { ContractFunctionArgs, TransactionReceipt } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import type { MarketWriteName, WriteResult } from '../chain/actions/writeMarket.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { toChainError } from '../chain/errors.ts'
import { TransactionRevertedError } from './errors.ts'

type MarketArgs<name extends MarketWriteName> = ContractFunctionArgs<typeof allotMarketAbi, 'nonpayable', name>

/** Sends a keeper's market transactions from one account without nonce collisions. */
export type TransactionSender = {
  /**
   * Simulates, sends and waits for the receipt. Only simulate-and-send holds the account's lock, so
   * several liquidations can wait for their receipts at once.
   *
   * @throws ContractRevertError when the simulation reverts; TransactionRevertedError when the mined transaction did.
   */
  send: <name extends MarketWriteName>(functionName: name, args: MarketArgs<name>, options?: { signal?: AbortSignal }) => Promise<WriteResult>
  /**
   * Simulates only: whether the call would pass now, or on the state after `blockNumber` (to learn why a mined one reverted).
   * @throws ContractRevertError naming why not.
   */
  simulate: <name extends MarketWriteName>(functionName: name, args: MarketArgs<name>, options?: { blockNumber?: bigint }) => Promise<void>
  /** Runs `fn` holding the account's lock (for transactions sent by other helpers, e.g. an approval). */
  exclusive: <T>(fn: () => Promise<T>) => Promise<T>
}

export type CreateTransactionSenderParameters = {
  deployment: Pick<Deployment, 'market'>
  /** Milliseconds to wait for a receipt. */
  receiptTimeout: number
}

/** Gas limit sent, % of the estimate: unused gas is not paid for, a transaction out of gas is lost. */
const GAS_MARGIN_PCT = 150n

/**
 * Creates the sender a keeper uses for `liquidateDeal` and `liquidatePosition`: simulation first,
 * so a call that would revert costs nothing; one transaction at a time leaves the account, so two
 * liquidations due in the same block do not take the same nonce.
 *
 * Simulations run on the pending block, the one the transaction can land in: on the latest block a
 * follow-up liquidation of a position liquidated in that very block meets the market's per-block close
 * factor already spent (`CloseFactorUsed`), and would wait a block for nothing.
 */
export function createTransactionSender(clients: ChainClients, { deployment, receiptTimeout }: CreateTransactionSenderParameters): TransactionSender {
  let queue: Promise<unknown> = Promise.resolve()
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = queue.then(fn, fn)
    queue = result.catch(() => undefined)
    return result
  }
  const request = (functionName: string, args: unknown) =>
    ({ address: deployment.market, abi: allotMarketAbi, functionName, args, account: clients.wallet.account }) as never

  return {
    async send(functionName, args, { signal } = {}) {
      let receipt: TransactionReceipt
      try {
        const hash = await exclusive(async () => {
          signal?.throwIfAborted()
          const pending = { ...(request(functionName, args) as object), blockTag: 'pending' } as never
          const [simulated, estimate] = await Promise.all([clients.public.simulateContract(pending), clients.public.estimateContractGas(pending)])
          // viem trims the simulated request's ABI to the function; the full ABI lets a revert found while estimating gas be decoded by name.
          // The estimate is for the state now; transactions ahead of ours in the block (a new price round) may make the call dearer.
          return clients.wallet.writeContract({ ...simulated.request, abi: allotMarketAbi, gas: (estimate * GAS_MARGIN_PCT) / 100n } as never)
        })
        receipt = await clients.public.waitForTransactionReceipt({ hash, timeout: receiptTimeout })
      } catch (error) {
        throw toChainError(error, { functionName, rpcUrl: clients.rpcUrl })
      }
      if (receipt.status !== 'success') throw new TransactionRevertedError({ functionName, hash: receipt.transactionHash, blockNumber: receipt.blockNumber })
      return { hash: receipt.transactionHash, receipt, gasUsed: receipt.gasUsed }
    },
    async simulate(functionName, args, { blockNumber } = {}) {
      try {
        await clients.public.simulateContract({ ...(request(functionName, args) as object), ...(blockNumber === undefined ? { blockTag: 'pending' } : { blockNumber }) } as never)
      } catch (error) {
        throw toChainError(error, { functionName, rpcUrl: clients.rpcUrl })
      }
    },
    exclusive,
  }
}
