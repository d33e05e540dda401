import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createPublicClient, createWalletClient, custom, http, keccak256, parseTransaction, toHex, type Address, type Hex } from 'viem'
import { createNonceManager, jsonRpc } from 'viem/nonce'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { anvil as anvilChain } from 'viem/chains'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import { createKeeper, type Keeper, type Liquidation, type Skipped } from '../keeper/index.ts'
import { openStore, type Store } from '../store/openStore.ts'
import { SimChainError } from './errors.ts'
import type { SimChain } from './simChain.ts'

/** How one simulated keeper behaves; its decisions are the shipped keeper's, these are only its settings. */
export type SimKeeperProfile = {
  name: string
  /** Acts on one block in `every` (1 = every block): a slower operator or a slower node. */
  every: number
  /** The keeper's own `minProfit`, payment-token units. */
  minProfit: bigint
  /** Payment units per native coin the keeper counts gas at (0 ignores gas). */
  nativePrice: bigint
  /** From this simulated second on, the keeper is gone for good. */
  dropsOutAt?: number
}

export type SimKeeper = {
  profile: SimKeeperProfile
  address: Address
  keeper: Keeper
  liquidations: Liquidation[]
  skipped: Skipped[]
  errors: string[]
  /** Liquidations another keeper (or a front-running settlement) got to first. */
  lostRaces: number
}

export type SimKeeperPool = {
  keepers: SimKeeper[]
  /**
   * Lets the keepers that are live at `block` (whose transactions were `mined`) look at it, and resolves once
   * each has handled it, picked up the receipts it waits for and sent what it decided to send. What they sent
   * then goes to the node keeper by keeper in `order`, each keeper's in nonce order: with equal tips that is the order the
   * next block holds them in, so races between keepers resolve the same way on every run of a seed.
   * `order` lists keeper indices in the order their transactions reach the node (the simulation draws it from the seed).
   * Keepers not live stay paused.
   */
  step: (block: bigint, mined: ReadonlySet<Hex>, live: (keeper: SimKeeper) => boolean, order: readonly number[]) => Promise<void>
  stop: () => Promise<void>
}

/** Requests that only wait for something to be mined; they say nothing about a keeper still deciding. */
const TIP = 10_000_000n
const WAITING = new Set(['eth_getTransactionReceipt', 'eth_getTransactionByHash'])
/** Wall-clock time a keeper may take over one block before the run stops with an error instead of hanging. */
const STEP_TIMEOUT_MS = 120_000

/**
 * Starts the real keeper (`createKeeper` from node/keeper) once per profile, in process. Each talks to
 * anvil through a gate the simulation opens and closes, so a keeper sees a block only when the
 * simulation lets it (latency, dropout) and the simulation knows when it has finished with a block.
 */
export async function startSimKeepers(chain: SimChain, deployment: Deployment, profiles: readonly { profile: SimKeeperProfile; privateKey: Hex }[]): Promise<SimKeeperPool> {
  const home = await mkdtemp(join(tmpdir(), 'allot-sim-keepers-'))
  const stores: Store[] = []
  const gates: Gate[] = []
  const keepers: SimKeeper[] = []
  for (const [index, { profile, privateKey }] of profiles.entries()) {
    const gate = createGate(chain, profile.name, privateKeyToAccount(privateKey))
    // A nonce manager of its own: viem's shared one keys nonces by address and chain id, which every
    // simulation in this process shares (same keys, chain 31337, different anvils).
    const account = privateKeyToAccount(privateKey, { nonceManager: createNonceManager({ source: jsonRpc() }) })
    // No retries with back-off timers: a retry pause would look like a keeper that has finished with the block.
    const transport = custom({ request: gate.request }, { retryCount: 0 })
    const clients: ChainClients = {
      public: createPublicClient({ chain: anvilChain, transport, pollingInterval: 2 }),
      wallet: createWalletClient({ chain: anvilChain, transport, account, pollingInterval: 2 }),
      rpcUrl: chain.rpcUrl,
    }
    const store = await openStore(join(home, String(index)))
    stores.push(store)
    const keeper = createKeeper(
      { clients, deployment, store: watchedStore(store, gate) },
      // No wall-clock back-off: a retry waits for the next block or event, so that a run does not depend on how fast it ran.
      { minProfit: profile.minProfit, nativePrice: profile.nativePrice, pollingInterval: 2, deadlinePollInterval: 2, skipRetryDelay: 0, retryDelay: 0, maxRetryDelay: 0, receiptTimeout: 120_000, stopTimeout: 100 },
    )
    const entry: SimKeeper = { profile, address: account.address, keeper, liquidations: [], skipped: [], errors: [], lostRaces: 0 }
    keeper.addEventListener('lostRace', () => entry.lostRaces++)
    keeper.addEventListener('liquidated', ({ detail }) => entry.liquidations.push(detail))
    keeper.addEventListener('skipped', ({ detail }) => entry.skipped.push(detail))
    keeper.addEventListener('error', ({ detail }) => entry.errors.push(detail.error.name))
    gates.push(gate)
    keepers.push(entry)
  }
  for (const { keeper } of keepers) await keeper.start()

  return {
    keepers,
    async step(block, mined, live, order) {
      for (const gate of gates) gate.mined(mined)
      const active = keepers.map((keeper, index) => ({ keeper, gate: gates[index]! })).filter(({ keeper }) => live(keeper))
      for (const { gate } of active) gate.open()
      // In two phases, each run until every keeper is done with it: the keeper's follower takes in the block, then its
      // receipt watchers see the block number move. Run together, which of the two saw the block first would depend on
      // their polling timers, and a keeper decides differently when a liquidation still waits for its receipt.
      const seen = (keeper: SimKeeper) => () => (keeper.keeper.metrics().lastBlock ?? -1n) >= block
      await Promise.all(active.map(({ keeper, gate }) => gate.quiet(block, seen(keeper), { receipts: false })))
      for (const { gate } of active) gate.showReceipts()
      await Promise.all(active.map(({ keeper, gate }) => gate.quiet(block, seen(keeper), { receipts: true })))
      for (const { gate } of active) gate.close()
      const taken = await Promise.all(order.map((index) => gates[index]!.take()))
      const sent = order.flatMap((index, i) => taken[i]!.map((signed) => ({ keeper: keepers[index]!, signed })))
      const answers = await chain.sendRaw(sent.map(({ signed }) => signed))
      for (const [i, answer] of answers.entries()) if ('error' in answer) sent[i]!.keeper.errors.push('SimTransactionRefused')
    },
    async stop() {
      for (const gate of gates) gate.open()
      await Promise.all(keepers.map(({ keeper }) => keeper.stop()))
      for (const store of stores) await store.close()
      await rm(home, { recursive: true, force: true })
    },
  }
}

/** Sublevel calls that wait on LevelDB (`batch()` with no argument builds a chained batch and waits on nothing). */
const STORE_CALLS = new Set(['get', 'getMany', 'put', 'del', 'batch', 'clear'])

/**
 * The keeper's store, its reads and writes counted as the keeper's work. A keeper waiting on LevelDB (whose
 * threads are slow on a loaded machine) has not finished with the block: what it sends after the write must
 * go into this block, as it does on a quiet machine, not into the next one.
 */
function watchedStore(store: Store, gate: Gate): Store {
  return {
    ...store,
    sublevel: <V>(name: string) =>
      new Proxy(store.sublevel<V>(name), {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver)
          if (typeof value !== 'function') return value
          // Bound to the sublevel itself: its methods use private fields, which a proxy does not have.
          if (typeof property !== 'string' || !STORE_CALLS.has(property)) return value.bind(target)
          return (...args: unknown[]) => gate.busy(value.apply(target, args))
        },
      }),
  }
}

type Gate = {
  request: (args: { method: string; params?: unknown }) => Promise<unknown>
  /** Notes which of the keeper's transactions a new block holds: their receipts are now there to pick up. */
  mined: (hashes: ReadonlySet<Hex>) => void
  open: () => void
  close: () => void
  /**
   * Resolves once `seen()` holds, no deciding request has started or been in flight for three samples in a row and,
   * with `receipts`, every mined transaction's receipt has been picked up.
   *
   * @throws SimChainError when the keeper is still busy after `STEP_TIMEOUT_MS`.
   */
  quiet: (block: bigint, seen: () => boolean, options: { receipts: boolean }) => Promise<void>
  /** Lets `eth_blockNumber` name the mined block, which sets the keeper's receipt watchers looking. */
  showReceipts: () => void
  /** Counts `work` (a store read or write) as the keeper deciding until it settles. */
  busy: <T>(work: T) => T
  /**
   * The transactions the keeper sent since the last call, in a canonical order (by target and calldata) and signed again
   * with their nonces in that order: which of its checks happened to send first must not decide the block.
   */
  take: () => Promise<Hex[]>
}

/**
 * A keeper's door to anvil. Deciding requests are answered one at a time in the order they were made, so the
 * interleaving of a keeper's concurrent checks does not depend on which answer the OS delivered first; signed
 * transactions are held (and their hashes answered) until the simulation hands them to the node in a fixed order.
 */
function createGate(chain: SimChain, name: string, signer: PrivateKeyAccount): Gate {
  const base = http(chain.rpcUrl, { retryCount: 0, timeout: 600_000 })({ chain: anvilChain, retryCount: 0 })
  let isOpen = false
  let waiters: (() => void)[] = []
  let inFlight = 0
  let started = 0
  let turn: Promise<unknown> = Promise.resolve()
  let held: Hex[] = []
  let shownNumber: Hex | undefined
  const sent = new Set<Hex>()
  const unclaimed = new Set<Hex>()
  /** Hashes the keeper was given, to the hashes of the transactions signed again in canonical order. */
  const renamed = new Map<Hex, Hex>()
  const wait = () => (isOpen ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve)))
  return {
    async request({ method, params }) {
      await wait()
      // The follower polls for the head constantly; it is answered from the block the simulation mined, without a round trip.
      if (method === 'eth_getBlockByNumber' && Array.isArray(params) && params[0] === 'latest') return chain.latestBlock()
      // viem's receipt watchers look again when this moves; it names the mined block only once `showReceipts` is called.
      if (method === 'eth_blockNumber') return shownNumber ?? (chain.latestBlock() as { number: Hex }).number
      // Tips on the L2 the simulation stands for are a hundredth of a gwei; anvil would suggest a whole one.
      if (method === 'eth_maxPriorityFeePerGas') return toHex(TIP)
      if (method === 'eth_gasPrice') return toHex(chain.nextBaseFee() + TIP)
      if (method === 'eth_sendRawTransaction' && Array.isArray(params)) {
        const signed = params[0] as Hex
        held.push(signed)
        started++
        return keccak256(signed)
      }
      if (WAITING.has(method) && Array.isArray(params)) {
        const asked = params[0] as Hex
        // A transaction still held is pending, as it would be in the node's pool. Asked of anvil, which does not know it
        // yet, it would be "not found", and viem would look again after back-off timers: a wall-clock moment, in one
        // step on one run and in another step on the next.
        const holding = method === 'eth_getTransactionByHash' ? held.find((signed) => keccak256(signed) === asked) : undefined
        if (holding) return pendingTransaction(holding, signer.address)
        const hash = renamed.get(asked) ?? asked
        // In turn with the deciding requests, so that which task goes on first does not depend on the network.
        const asking = turn.then(() => base.request({ method, params: [hash, ...params.slice(1)] } as never))
        turn = asking.catch(() => undefined)
        const answer = (await asking) as Record<string, unknown> | null
        // A receipt picked up sets the keeper working again (a follow-up, a lost race to sort out).
        if (answer && unclaimed.delete(hash)) started++
        if (!answer || hash === asked) return answer
        // Under the hash the keeper knows its transaction by.
        const logs = Array.isArray(answer.logs) ? answer.logs.map((log: Record<string, unknown>) => ({ ...log, transactionHash: asked })) : answer.logs
        return { ...answer, ...('transactionHash' in answer ? { transactionHash: asked } : { hash: asked }), ...(logs ? { logs } : {}) }
      }
      inFlight++
      started++
      const answer = turn.then(() => base.request({ method, params } as never))
      turn = answer.catch(() => undefined)
      try {
        return await answer
      } finally {
        inFlight--
      }
    },
    mined(hashes) {
      for (const hash of sent) {
        if (!hashes.has(hash)) continue
        sent.delete(hash)
        unclaimed.add(hash)
      }
    },
    open() {
      isOpen = true
      const ready = waiters
      waiters = []
      for (const resolve of ready) resolve()
    },
    close() {
      isOpen = false
    },
    busy(work) {
      if (!(work instanceof Promise)) return work
      inFlight++
      started++
      const done = () => void inFlight--
      work.then(done, done)
      return work
    },
    showReceipts() {
      shownNumber = (chain.latestBlock() as { number: Hex }).number
    },
    async quiet(block, seen, { receipts }) {
      const until = Date.now() + STEP_TIMEOUT_MS
      let calm = 0
      let last = started
      while (calm < 3) {
        await new Promise((resolve) => setTimeout(resolve, 1))
        if (seen() && inFlight === 0 && started === last && (!receipts || unclaimed.size === 0)) calm++
        else calm = 0
        last = started
        if (Date.now() > until) throw new SimChainError({ reason: `keeper "${name}" was still busy with block ${block} after ${STEP_TIMEOUT_MS / 1000} s` })
      }
    },
    async take() {
      const taken = held.map((signed) => ({ signed, tx: parseTransaction(signed) }))
      held = []
      const nonces = taken.map(({ tx }) => tx.nonce!).sort((a, b) => a - b)
      const key = ({ tx }: (typeof taken)[number]) => `${tx.to}:${tx.data}`
      const ordered = [...taken].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
      return Promise.all(
        ordered.map(async ({ signed, tx }, i) => {
          const again =
            tx.nonce === nonces[i]
              ? signed
              : await signer.signTransaction({ chainId: tx.chainId!, type: 'eip1559', to: tx.to!, data: tx.data, value: tx.value, nonce: nonces[i]!, gas: tx.gas!, maxFeePerGas: tx.maxFeePerGas!, maxPriorityFeePerGas: tx.maxPriorityFeePerGas! })
          const hash = keccak256(again)
          if (again !== signed) renamed.set(keccak256(signed), hash)
          sent.add(hash)
          return again
        }),
      )
    },
  }
}

/** A signed transaction as `eth_getTransactionByHash` shows one in the pool, not yet in a block. */
function pendingTransaction(signed: Hex, from: Address) {
  const tx = parseTransaction(signed)
  return {
    hash: keccak256(signed),
    from,
    to: tx.to,
    input: tx.data ?? '0x',
    nonce: toHex(tx.nonce ?? 0),
    gas: toHex(tx.gas ?? 0n),
    value: toHex(tx.value ?? 0n),
    type: '0x2',
    chainId: toHex(tx.chainId ?? 0),
    maxFeePerGas: toHex(tx.maxFeePerGas ?? 0n),
    maxPriorityFeePerGas: toHex(tx.maxPriorityFeePerGas ?? 0n),
    accessList: [],
    r: tx.r,
    s: tx.s,
    v: toHex(tx.yParity ?? 0),
    yParity: toHex(tx.yParity ?? 0),
    blockHash: null,
    blockNumber: null,
    transactionIndex: null,
  }
}
