import type { Hex } from 'viem'
import { logger } from '../log/logger.ts'
import type { ChainClients } from './clients.ts'
import type { Deployment } from './deployment.ts'

/**
 * What the watch sees: the deployment's chain as the node knew it (`ok`), no answer
 * (`unreachable`), another chain id (`wrong-chain`), no market code at the address
 * (`gone`), or the same addresses on a chain whose history changed under the node
 * (`restarted`: a restarted `chain dev` redeploys at the same addresses; a reorg past
 * the last block seen looks the same).
 */
export type ChainCondition = 'ok' | 'unreachable' | 'wrong-chain' | 'gone' | 'restarted'

export type ChainChange =
  /** The node must stop signing and advertising: what it knows may no longer hold. */
  | { type: 'down'; condition: Exclude<ChainCondition, 'ok'>; reason: string }
  /** The chain answers again as the deployment says; `resync`: its history changed, so state read from it must be read anew. */
  | { type: 'up'; resync: boolean; downFor: number }

export type WatchChainInit = {
  /** Milliseconds between checks; a restart is noticed within about this long. */
  intervalMs?: number
  onChange: (change: ChainChange) => void | Promise<void>
}

export type ChainWatch = {
  start: () => Promise<void>
  stop: () => void
  /** The last condition seen. */
  condition: () => ChainCondition
}

const log = logger('chain:watch')

/**
 * Watches the deployment's chain for the changes that make a node's knowledge
 * wrong: checks the chain id, the market's code, the hash of the deployment
 * block and the hash of the last head seen, once per interval. A node stops
 * signing on `down` and resyncs (or carries on) on `up`.
 *
 * @example
 * const watch = watchChain({ clients, deployment }, { onChange: (change) => change.type === 'down' ? provider.pause(change.reason) : provider.resume(change) })
 * await watch.start()
 */
export function watchChain({ clients, deployment }: { clients: ChainClients; deployment: Pick<Deployment, 'chainId' | 'market' | 'deploymentBlock'> }, init: WatchChainInit): ChainWatch {
  const intervalMs = init.intervalMs ?? 1_000
  let condition: ChainCondition = 'ok'
  let anchor: Hex | undefined
  let lastHead: { number: bigint; hash: Hex } | undefined
  let historyChanged = false
  let downSince = 0
  let timer: NodeJS.Timeout | undefined
  let stopped = false

  const blockHash = async (number: bigint) => (await clients.public.getBlock({ blockNumber: number }).catch(() => undefined))?.hash ?? undefined

  const check = async (): Promise<{ condition: ChainCondition; reason: string }> => {
    let chainId: number
    try {
      chainId = await clients.public.getChainId()
    } catch {
      return { condition: 'unreachable', reason: 'the chain does not answer' }
    }
    if (chainId !== deployment.chainId) return { condition: 'wrong-chain', reason: `the endpoint now serves chain ${chainId}, not ${deployment.chainId}` }
    try {
      const code = await clients.public.getCode({ address: deployment.market })
      if (!code || code === '0x') return { condition: 'gone', reason: `there is no market at ${deployment.market} any more` }
      const [deployed, head] = await Promise.all([blockHash(BigInt(deployment.deploymentBlock)), clients.public.getBlock({ blockTag: 'latest' })])
      if (anchor && deployed !== anchor) return { condition: 'restarted', reason: 'the chain was restarted (the deployment block changed)' }
      if (lastHead && head.number !== null && head.number >= lastHead.number && (await blockHash(lastHead.number)) !== lastHead.hash)
        return { condition: 'restarted', reason: `block ${lastHead.number} changed (a reorganisation past what this node read)` }
      if (lastHead && head.number !== null && head.number < lastHead.number) return { condition: 'restarted', reason: `the chain went back from block ${lastHead.number} to ${head.number} (restarted?)` }
      anchor = deployed
      if (head.number !== null && head.hash !== null) lastHead = { number: head.number, hash: head.hash }
      return { condition: 'ok', reason: '' }
    } catch {
      return { condition: 'unreachable', reason: 'the chain does not answer' }
    }
  }

  const tick = async () => {
    const seen = await check()
    if (stopped) return
    // A market that vanished or a chain id that changed comes back as another history, and so
    // does any chain this watch never saw answer: resyncing then costs a re-read, not missing one costs deals.
    if (seen.condition !== 'ok' && seen.condition !== 'unreachable') historyChanged = true
    if (seen.condition !== 'ok' && anchor === undefined) historyChanged = true
    if (seen.condition === 'restarted') {
      // The new history is the one to follow from now on.
      historyChanged = true
      anchor = undefined
      lastHead = undefined
    }
    if (seen.condition !== 'ok' && condition === 'ok') {
      downSince = Date.now()
      condition = seen.condition
      log('chain down: %s', seen.reason)
      await init.onChange({ type: 'down', condition: seen.condition, reason: seen.reason })
    } else if (seen.condition !== 'ok' && seen.condition !== condition) {
      condition = seen.condition
      await init.onChange({ type: 'down', condition: seen.condition, reason: seen.reason })
    } else if (seen.condition === 'ok' && condition !== 'ok') {
      condition = 'ok'
      const resync = historyChanged
      historyChanged = false
      log('chain back (resync %s)', resync)
      await init.onChange({ type: 'up', resync, downFor: Date.now() - downSince })
    }
  }

  const loop = () => {
    if (stopped) return
    timer = setTimeout(() => {
      tick()
        .catch((error) => log.error('watch: %O', error))
        .finally(loop)
    }, intervalMs)
  }

  return {
    async start() {
      const first = await check()
      if (first.condition !== 'ok') {
        condition = first.condition
        downSince = Date.now()
        await init.onChange({ type: 'down', condition: first.condition, reason: first.reason })
      }
      loop()
    },
    stop() {
      stopped = true
      clearTimeout(timer)
    },
    condition: () => condition,
  }
}
