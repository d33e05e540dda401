import { createPublicClient, formatTransactionReceipt, http, numberToHex, type RpcTransactionReceipt, type Address, type Hex, type PublicClient, type TransactionReceipt } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { anvil as anvilChain } from 'viem/chains'
import { startAnvil, type Anvil } from '../chain/anvil.ts'
import { SimChainError } from './errors.ts'

/** A call an agent wants mined in the next block. */
export type SimCall = { to: Address; data: Hex; gas?: bigint }

/** A sent call and what became of it once its block was mined. */
export type SentCall = { hash: Hex; from: Address; tag: string }

export type MinedBlock = { number: bigint; timestamp: bigint; receipts: Map<Hex, TransactionReceipt> }

/**
 * A local chain the simulation drives block by block: anvil with automine off (after deployment), so the transactions
 * of one step (agents', then keepers') land together in a block whose timestamp the simulation sets.
 */
export type SimChain = {
  anvil: Anvil
  rpcUrl: string
  public: PublicClient
  /** Stops mining a block per transaction (call once the contracts are deployed). */
  manualMining: () => Promise<void>
  /** Sends a call from `account` with a locally kept nonce; returns once the node has it in its pool. */
  send: (account: PrivateKeyAccount, call: SimCall, tag: string, options?: { tip?: bigint }) => Promise<SentCall>
  /** Signs calls in parallel, then hands them to the node one after another, so they are mined in this order. */
  sendAll: (calls: readonly { account: PrivateKeyAccount; call: SimCall; tag: string; tip?: bigint }[]) => Promise<SentCall[]>
  /** Hands signed transactions to the node in one batch, in this order; returns each one's hash or why the node refused it. */
  sendRaw: (signed: readonly Hex[]) => Promise<({ hash: Hex } | { error: string })[]>
  /** Mines one block stamped `timestamp`, sets the next block's base fee (wei) and returns the receipts. */
  mine: (timestamp: bigint, nextBaseFee: bigint) => Promise<MinedBlock>
  /** Raw `eth_getBlockByNumber("latest")` of the last mined block, for keepers' views. */
  latestBlock: () => unknown
  /** Base fee of the block being built (wei). */
  nextBaseFee: () => bigint
  setBalance: (address: Address, wei: bigint) => Promise<void>
  stop: () => Promise<void>
}

const DEFAULT_GAS = 600_000n
/**
 * Every simulation's chain starts on 1 January 2026, 00:00 UTC, not today: deal terms carry times, and their bytes
 * change the gas of every call that carries them, so a run started another day would not replay the same.
 */
export const SIM_GENESIS = 1_767_225_600
/** The first simulated block: after deployment, which is mined at wall-clock pace from the genesis. */
export const SIM_START = SIM_GENESIS + 3_600
/** High enough for any scenario's gas spike, so agents' transactions are never priced out by the simulation itself. */
const MAX_FEE = 50_000n * 10n ** 9n

/**
 * Starts anvil for a simulation and switches it to manual mining.
 *
 * @example
 * const chain = await startSimChain()
 * await chain.send(account, { to, data }, 'deposit')
 * const block = await chain.mine(timestamp, 20n * 10n ** 9n)
 */
export async function startSimChain({ signal }: { signal?: AbortSignal } = {}): Promise<SimChain> {
  const anvil = await startAnvil({ accounts: 1, genesisTimestamp: SIM_GENESIS, signal })
  const client = createPublicClient({ chain: anvilChain, transport: http(anvil.rpcUrl, { batch: { batchSize: 500, wait: 0 }, retryCount: 0, timeout: 60_000 }) })
  const rpc = (method: string, params: unknown[] = []) => client.request({ method: method as never, params: params as never }) as Promise<unknown>
  const nonces = new Map<Address, Promise<number>>()
  let latest: unknown
  let baseFee = 0n
  const sign = async (account: PrivateKeyAccount, call: SimCall, tip: bigint): Promise<Hex> => {
    // Taken synchronously, so concurrent sends from one account get consecutive nonces.
    const previous = nonces.get(account.address) ?? client.getTransactionCount({ address: account.address, blockTag: 'pending' }).then((n) => n - 1)
    const next = previous.then((n) => n + 1)
    nonces.set(account.address, next)
    const nonce = await next
    return account.signTransaction({
      chainId: anvilChain.id,
      type: 'eip1559',
      to: call.to,
      data: call.data,
      nonce,
      gas: call.gas ?? DEFAULT_GAS,
      maxFeePerGas: MAX_FEE,
      maxPriorityFeePerGas: tip,
    })
  }
  const sendRaw = async (signed: readonly Hex[]): Promise<({ hash: Hex } | { error: string })[]> => {
    if (signed.length === 0) return []
    // One JSON-RPC batch: anvil admits its elements in order, and one round trip instead of many keeps a step fast.
    const body = signed.map((tx, id) => ({ jsonrpc: '2.0', id, method: 'eth_sendRawTransaction', params: [tx] }))
    let answers: { id: number; result?: Hex; error?: { message: string } }[]
    try {
      const response = await fetch(anvil.rpcUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
      answers = (await response.json()) as typeof answers
    } catch (cause) {
      throw new SimChainError({ reason: 'anvil did not take a batch of transactions', cause })
    }
    answers.sort((a, b) => a.id - b.id)
    return answers.map((answer): { hash: Hex } | { error: string } => (answer.result ? { hash: answer.result } : { error: answer.error?.message ?? 'no answer' }))
  }
  return {
    async manualMining() {
      try {
        await rpc('evm_setBlockGasLimit', [numberToHex(2_000_000_000n)])
        await rpc('evm_setAutomine', [false])
      } catch (cause) {
        throw new SimChainError({ reason: 'anvil refused manual mining', cause })
      }
    },
    anvil,
    rpcUrl: anvil.rpcUrl,
    public: client as PublicClient,
    sendRaw,
    async sendAll(calls) {
      if (calls.length === 0) return []
      const signed = await Promise.all(calls.map(({ account, call, tip }) => sign(account, call, tip ?? 0n)))
      const answers = await sendRaw(signed)
      return answers.map((answer, i) => {
        if (!('hash' in answer)) throw new SimChainError({ reason: `anvil refused a ${calls[i]!.tag} transaction: ${answer.error}` })
        return { hash: answer.hash, from: calls[i]!.account.address, tag: calls[i]!.tag }
      })
    },
    async send(account, call, tag, { tip = 0n } = {}) {
      const hash = (await rpc('eth_sendRawTransaction', [await sign(account, call, tip)])) as Hex
      return { hash, from: account.address, tag }
    },
    async mine(timestamp, nextBaseFee) {
      await rpc('evm_mine', [Number(timestamp)])
      // Set before keepers look, so that eth_gasPrice shows them the coming block's price.
      const [, block] = (await Promise.all([rpc('anvil_setNextBlockBaseFeePerGas', [numberToHex(nextBaseFee)]), rpc('eth_getBlockByNumber', ['latest', false])])) as [
        unknown,
        { number: Hex; timestamp: Hex; transactions: Hex[] },
      ]
      latest = block
      baseFee = nextBaseFee
      const receipts = new Map<Hex, TransactionReceipt>()
      if (block.transactions.length > 0) {
        const raw = (await rpc('eth_getBlockReceipts', [block.number])) as RpcTransactionReceipt[]
        for (const receipt of raw.map((r) => formatTransactionReceipt(r))) receipts.set(receipt.transactionHash, receipt)
      }
      if (BigInt(block.timestamp) !== timestamp) throw new SimChainError({ reason: `block ${BigInt(block.number)} was stamped ${BigInt(block.timestamp)}, not ${timestamp}` })
      return { number: BigInt(block.number), timestamp: BigInt(block.timestamp), receipts }
    },
    latestBlock: () => latest,
    nextBaseFee: () => baseFee,
    async setBalance(address, wei) {
      await rpc('anvil_setBalance', [address, numberToHex(wei)])
    },
    stop: anvil.stop,
  }
}

/** A deterministic dev key for agent `index` of a run (never a real key: derived from a public label). */
export function simAccount(index: number): PrivateKeyAccount {
  return privateKeyToAccount(simKey(index))
}

/** The key behind `simAccount(index)`. */
export function simKey(index: number): Hex {
  return `0x${(BigInt(index + 1) * 0x9e3779b97f4a7c15n + 0x1000n).toString(16).padStart(64, '0')}` as Hex
}
