import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { erc20Abi, parseUnits, type Address, type Hex } from 'viem'
import { mockPriceFeedAbi } from '../../../contracts/abi/index.ts'
import { depositCollateral } from '../../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../../node/chain/actions/ensureAllowance.ts'
import { openDeal } from '../../../node/chain/actions/openDeal.ts'
import type { ChainClients } from '../../../node/chain/clients.ts'
import type { Deployment } from '../../../node/chain/deployment.ts'
import type { DevMarket } from '../../../node/chain/devMarket.ts'
import { createKeeper, type Keeper, type KeeperEvents, type KeeperInit } from '../../../node/keeper/index.ts'
import { openStore, type Store } from '../../../node/store/openStore.ts'
import type { DealTerms } from '../../../protocol/types/dealTerms.ts'
import { signedTerms } from '../../helpers/deals.ts'

/** Approves the market for both tokens and stakes `stake` ALS (at $2: twice that in backing value). */
export async function prepareProvider(market: DevMarket, provider: ChainClients, stake = parseUnits('100', 18)) {
  await approveBoth(market.deployment, provider)
  await depositCollateral(provider, { deployment: market.deployment, amount: stake })
}

export async function approveBoth(deployment: Deployment, clients: ChainClients) {
  await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount: 1n })
  await ensureAllowance(clients, { token: deployment.collateralToken, spender: deployment.market, amount: 1n })
}

/** Opens a deal between two dev accounts (the client must have approved the payment token). */
export async function openTestDeal(market: DevMarket, provider: ChainClients, client: ChainClients, overrides: Partial<DealTerms> = {}) {
  const { terms, signature } = await signedTerms(market.deployment, provider, client, overrides)
  const { dealId, receipt } = await openDeal(client, { deployment: market.deployment, terms, providerSignature: signature })
  return { terms, dealId, blockNumber: receipt.blockNumber }
}

export const balanceOf = (clients: ChainClients, token: Address, account: Address = clients.wallet.account.address) =>
  clients.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] })

/** The owner moves the mock feed (8 decimals), e.g. `setPrice(owner, deployment, 1n * 10n ** 8n)` for $1. */
export async function setPrice(owner: ChainClients, deployment: Deployment, answer: bigint) {
  const hash = await owner.wallet.writeContract({ address: deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [answer] } as never)
  return owner.public.waitForTransactionReceipt({ hash })
}

/** anvil: a block every `seconds` from now on (0: back to a block per transaction). */
export async function setBlockTime(clients: ChainClients, seconds: number) {
  if (seconds > 0) await clients.public.request({ method: 'evm_setIntervalMining' as never, params: [seconds] as never })
  else {
    await clients.public.request({ method: 'evm_setIntervalMining' as never, params: [0] as never })
    await clients.public.request({ method: 'evm_setAutomine' as never, params: [true] as never })
  }
}

/** A keeper with its own home and store, started; `close()` stops it and removes the home. */
export async function startKeeper(market: DevMarket, clients: ChainClients, init: KeeperInit = {}, home?: string) {
  const ownHome = home ?? (await mkdtemp(join(tmpdir(), 'allot-keeper-')))
  const store: Store = await openStore(ownHome)
  const keeper = createKeeper({ clients, deployment: market.deployment, store }, { pollingInterval: 100, retryDelay: 100, maxRetryDelay: 1_000, ...init })
  await keeper.start()
  return {
    keeper,
    store,
    home: ownHome,
    /** Stops the keeper and closes its store; removes the home unless it was given. */
    close: async () => {
      await keeper.stop()
      await store.close()
      if (!home) await rm(ownHome, { recursive: true, force: true })
    },
  }
}

/** The next `type` event whose detail passes `match`, or a rejection after `timeout` ms. */
export function nextEvent<K extends keyof KeeperEvents & string>(keeper: Keeper, type: K, match: (detail: KeeperEvents[K]) => boolean = () => true, timeout = 10_000) {
  const promise = new Promise<KeeperEvents[K]>((resolve, reject) => {
    const timer = setTimeout(() => {
      keeper.removeEventListener(type, listener)
      reject(new Error(`no ${type} event within ${timeout} ms`))
    }, timeout)
    const listener = (event: CustomEvent<KeeperEvents[K]>) => {
      if (!match(event.detail)) return
      clearTimeout(timer)
      keeper.removeEventListener(type, listener)
      resolve(event.detail)
    }
    keeper.addEventListener(type, listener)
  })
  // A test that fails before awaiting it must not also die of an unhandled rejection later.
  promise.catch(() => {})
  return promise
}

/** Collects every event a keeper emits, for assertions about what did not happen. */
export function recordEvents(keeper: Keeper) {
  const seen: { type: keyof KeeperEvents; detail: KeeperEvents[keyof KeeperEvents] }[] = []
  for (const type of ['liquidated', 'lostRace', 'skipped', 'error'] as const) keeper.addEventListener(type, (event) => seen.push({ type, detail: event.detail }))
  return seen
}

export async function waitFor(condition: () => boolean | Promise<boolean>, { timeout = 10_000, interval = 25, what = 'condition' } = {}) {
  const until = Date.now() + timeout
  while (!(await condition())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, interval))
  }
}

/** `promise`, or a rejection naming `what` after `timeout` ms; the timer never outlives the promise. */
export async function withTimeout<T>(promise: Promise<T>, timeout: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no ${what} within ${timeout} ms`)), timeout)))])
  } finally {
    clearTimeout(timer)
  }
}

export type { Hex }
