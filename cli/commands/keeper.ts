import { once } from 'node:events'
import { erc20Abi, formatUnits, parseUnits } from 'viem'
import { createChainClients } from '../../node/chain/clients.ts'
import { readDeployment, type Deployment } from '../../node/chain/deployment.ts'
import { resolveMarket } from '../../node/chain/resolveMarket.ts'
import { ChainMismatchError, toChainError } from '../../node/chain/errors.ts'
import { levelCursorStore, type StoredCursor } from '../../node/chain/events/cursorStore.ts'
import { KeeperNeverRanError, KeeperOnOtherMarketError } from '../../node/keeper/errors.ts'
import { createKeeper, type Liquidation } from '../../node/keeper/index.ts'
import { readKeeperFile, writeKeeperFile } from '../../node/keeper/keeperFile.ts'
import { readKeeperHistory } from '../../node/keeper/readKeeperHistory.ts'
import { openStore } from '../../node/store/openStore.ts'
import { commandAccount } from '../account.ts'
import { describeChainChange, exitWhenDeploymentGone } from '../describeChainChange.ts'
import { explainError } from '../explainError.ts'
import { watchChain } from '../../node/chain/watchChain.ts'
import type { CommandSpec } from '../command.ts'
import { keeperDealLine } from '../dealEventLines.ts'
import { UsageError } from '../errors.ts'
import { createMetricsRegistry } from '../../node/metrics/createMetricsRegistry.ts'
import { recordKeeperMetrics } from '../../node/keeper/metrics.ts'
import { metricsOption, startMetrics } from './metricsOption.ts'
import { parseInteger } from './parse.ts'
import { isProcessAlive } from '../../node/control/isProcessAlive.ts'

const short = (hex: string) => `${hex.slice(0, 10)}…`

/** A decimal token amount such as `0.5`, kept as text until the token's decimals are known. */
function parseAmount(flag: string) {
  return (value: string): string => {
    if (!/^\d+(\.\d+)?$/.test(value)) throw new UsageError(`${flag} must be a non-negative decimal amount such as 0.5, not "${value}".`)
    return value
  }
}

export const keeperStart: CommandSpec = {
  path: ['keeper', 'start'],
  summary: 'liquidate deals past their deadline, lost disputes and unhealthy positions, for a bonus; runs until interrupted',
  options: [
    { flags: '--private-key <key>', description: "the keeper account's key, 0x and 64 hex digits (env ALLOT_PRIVATE_KEY)" },
    { flags: '--min-profit <amount>', description: 'skip liquidations whose bonus less gas is below this, in payment tokens', defaultValue: '0', parse: parseAmount('--min-profit') },
    {
      flags: '--native-price <amount>',
      description: 'payment tokens one native coin is worth, to count gas against bonuses (0 leaves gas out)',
      defaultValue: '0',
      parse: parseAmount('--native-price'),
    },
    { flags: '--polling-interval <ms>', description: 'milliseconds between polls for a new block', defaultValue: 500, parse: parseInteger('--polling-interval', 20, 60_000) },
    { flags: '--confirmations <blocks>', description: 'blocks to stay behind the head before acting on events', defaultValue: 0, parse: parseInteger('--confirmations', 0, 1_000) },
    metricsOption,
  ],
  examples: [
    'ALLOT_PRIVATE_KEY=0x… allot keeper start',
    'allot keeper start --private-key 0x… --min-profit 0.5 --native-price 3000',
    'allot keeper start --json > keeper-summary.json',
    'allot keeper start --metrics 127.0.0.1:9465',
  ],
  async run(_args, options, { settings, resolved, output, signal, fail }) {
    // The keeper's account pays gas and, for position liquidations, payment tokens; it receives the bonuses.
    const account = await commandAccount(settings)
    const file = await readDeployment(settings.deployment!)
    // A deployment file written by `allot chain dev` names its chain; an explicit --rpc/ALLOT_RPC wins.
    const rpcUrl = resolved.sources.rpc === 'default' && file.rpcUrl ? file.rpcUrl : settings.rpc!
    const registry = createMetricsRegistry()
    const clients = createChainClients({ rpcUrl, chainId: file.chainId, account, registry })
    let deployment: Deployment
    let decimals: number
    let symbol: string
    try {
      const chainId = await clients.public.getChainId()
      if (chainId !== file.chainId) throw new ChainMismatchError({ expected: file.chainId, actual: chainId })
      deployment = await resolveMarket(clients, { deployment: file, market: settings.market })
      ;[decimals, symbol] = await Promise.all([
        clients.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'decimals' }),
        clients.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'symbol' }),
      ])
    } catch (error) {
      throw toChainError(error, { functionName: 'decimals', rpcUrl })
    }
    const amount = (value: bigint) => `${formatUnits(value, decimals)} ${symbol}`

    const store = await openStore(settings.home)
    const liquidations: Liquidation[] = []
    // A keeper per history of the chain: after a restart the next one starts from the deployment block.
    const makeKeeper = () => {
      const keeper = createKeeper(
        { clients, deployment, store },
        {
          minProfit: parseUnits(options.minProfit as string, decimals),
          nativePrice: parseUnits(options.nativePrice as string, decimals),
          pollingInterval: options.pollingInterval as number,
          confirmations: options.confirmations as number,
        },
      )
      recordKeeperMetrics(registry, keeper)
      keeper.addEventListener('liquidated', ({ detail }) => {
        liquidations.push(detail)
        if (detail.kind === 'deal')
          output.progress(
            'liquidated',
            `deal ${short(detail.dealId)} (${detail.reason}) of provider ${short(detail.provider)} in block ${detail.blockNumber}: client refunded ${amount(detail.refund)} + compensated ${amount(detail.compensation)}, bonus ${amount(detail.keeperBonus)}`,
          )
        else
          output.progress(
            'liquidated',
            `position of ${short(detail.provider)} (health factor ${formatUnits(detail.healthFactor, 18)}) in block ${detail.blockNumber}: covered ${amount(detail.repaid)}, received ${formatUnits(detail.collateralSeized, 18)} collateral`,
          )
      })
      keeper.addEventListener('volatility', ({ detail }) =>
        output.progress('volatility', `new price round taken in: collateral factor ${Number(detail.collateralFactorBps) / 100}%, liquidation threshold ${Number(detail.liquidationThresholdBps) / 100}%`),
      )
      keeper.addEventListener('lostRace', ({ detail }) => output.progress('lost race', `${detail.kind} ${short(detail.target)}: ${detail.errorName}`))
      keeper.addEventListener('skipped', ({ detail }) =>
        output.detail(1, `skipped ${detail.kind} ${short(detail.target)}: ${detail.reason}${detail.bonus === undefined ? '' : ` (bonus ${amount(detail.bonus)}, gas ${amount(detail.gasCost ?? 0n)})`}`),
      )
      keeper.addEventListener('error', ({ detail }) => {
        const { error } = detail
        output.progress('error', `${detail.target ? `${detail.kind} ${short(detail.target)}: ` : ''}${explainError(error).message}`)
      })
      // What happens to every deal on the market, one line each (on stderr under --json).
      keeper.addEventListener('observed', ({ detail }) => {
        const line = keeperDealLine(detail, keeper.address, { symbol, decimals })
        if (line) output.progress(...line)
      })
      return keeper
    }
    let keeper = makeKeeper()
    let stoppedForChange = false
    const gone = exitWhenDeploymentGone(settings.deployment!, fail)
    const watch = watchChain(
      { clients, deployment },
      {
        onChange: async (change) => {
          output.progress(...describeChainChange(change, 'keeper'))
          gone.observe(change)
          if (change.type === 'down' && change.condition !== 'unreachable' && !stoppedForChange) {
            stoppedForChange = true
            await keeper.stop()
          } else if (change.type === 'up' && (stoppedForChange || change.resync)) {
            if (!stoppedForChange) await keeper.stop()
            stoppedForChange = false
            // A fresh chain counts the keeper's transactions from zero again.
            account.nonceManager?.reset({ address: account.address, chainId: deployment.chainId })
            keeper = makeKeeper()
            await keeper.start()
          }
        },
      },
    )

    const metricsServer = await startMetrics(registry, options.metrics, output).catch(async (error) => {
      await store.close()
      throw error
    })
    // keeper.json tells `allot keeper status` where this keeper is while it holds the home's database.
    const startedAt = new Date().toISOString()
    let written: string | undefined
    const writeState = async (stopped = false) => {
      const cursor = keeper.metrics().cursor
      const state = cursor ? { block: cursor.block.toString(), hash: cursor.hash } : null
      if (!stopped && JSON.stringify(state) === written) return
      written = JSON.stringify(state)
      await writeKeeperFile(settings.home, {
        address: keeper.address,
        market: deployment.market,
        chainId: deployment.chainId,
        pid: process.pid,
        startedAt,
        ...(stopped ? { stoppedAt: new Date().toISOString() } : {}),
        cursor: state,
        updatedAt: new Date().toISOString(),
      })
    }
    const stateWriter = setInterval(() => void writeState().catch((error) => output.detail(1, `writing keeper.json: ${error.message}`)), 1_000)
    try {
      // Watching from before the keeper starts: a restart at any moment after is noticed.
      await watch.start()
      await keeper.start()
      await writeState()
      output.progress('started', `keeper ${keeper.address} on chain ${deployment.chainId}, market ${deployment.market}; ${keeper.metrics().dealsTracked} deals remembered`)
      if (!signal.aborted) await once(signal, 'abort')
    } finally {
      clearInterval(stateWriter)
      watch.stop()
      await keeper.stop()
      await writeState(true).catch(() => {})
      await metricsServer?.stop()
      await store.close()
    }
    const metrics = keeper.metrics()
    output.result({ ok: true, keeper: keeper.address, market: deployment.market, liquidations, metrics }, () =>
      [
        `keeper stopped at block ${metrics.cursor?.block ?? 'none'}`,
        `liquidated ${metrics.dealsLiquidated} deals and ${metrics.positionsLiquidated} positions; bonus ${amount(metrics.keeperBonus)}, covered ${amount(metrics.repaid)}`,
        `lost races ${metrics.lostRaces}, skipped ${metrics.skipped}, errors ${metrics.errors}; still watching ${metrics.dealsTracked} deals`,
      ].join('\n'),
    )
  },
}

export const keeperStatus: CommandSpec = {
  path: ['keeper', 'status'],
  summary: 'what the keeper of this home liquidated, its bonuses and gas, its cursor and the chain head (running or not)',
  examples: ['allot keeper status --home ~/.allot-keeper', 'allot keeper status --json'],
  async run(_args, _options, { settings, resolved, output }) {
    const deploymentFile = await readDeployment(settings.deployment!)
    const file = await readKeeperFile(settings.home)
    const running = file !== undefined && file.stoppedAt === undefined && isProcessAlive(file.pid)
    // The address from keeper.json needs no key; a home where no keeper ran yet needs one.
    const account = file ? { address: file.address, type: 'json-rpc' as const } : await commandAccount(settings).catch((error) => {
      throw new KeeperNeverRanError({ home: settings.home, cause: error })
    })
    const rpcUrl = resolved.sources.rpc === 'default' && deploymentFile.rpcUrl ? deploymentFile.rpcUrl : settings.rpc!
    const clients = createChainClients({ rpcUrl, chainId: deploymentFile.chainId, account })
    let deployment: Deployment
    let head: bigint
    let token: { symbol: string; decimals: number }
    let collateralSymbol: string
    try {
      const chainId = await clients.public.getChainId()
      if (chainId !== deploymentFile.chainId) throw new ChainMismatchError({ expected: deploymentFile.chainId, actual: chainId })
      // A keeper running in this home answers for its own market; another one chosen would get its figures wrong.
      if (running && settings.market && settings.market.toLowerCase() !== file.market.toLowerCase()) throw new KeeperOnOtherMarketError({ home: settings.home, market: file.market, chosen: settings.market })
      deployment = await resolveMarket(clients, { deployment: deploymentFile, market: settings.market ?? (running ? file.market : undefined) })
      const read = (address: `0x${string}`, functionName: 'symbol' | 'decimals') => clients.public.readContract({ address, abi: erc20Abi, functionName })
      ;[head, token, collateralSymbol] = await Promise.all([
        clients.public.getBlockNumber(),
        Promise.all([read(deployment.paymentToken, 'symbol'), read(deployment.paymentToken, 'decimals')]).then(([symbol, decimals]) => ({ symbol: symbol as string, decimals: decimals as number })),
        read(deployment.collateralToken, 'symbol') as Promise<string>,
      ])
    } catch (error) {
      throw toChainError(error, { functionName: 'eth_blockNumber', rpcUrl })
    }
    // A stopped keeper's database is free: its stored cursor is the truth. A running one holds it, and keeps keeper.json current.
    const cursor = running ? (file.cursor ? BigInt(file.cursor.block) : undefined) : await storedCursor(settings.home, deployment.market)
    const history = await readKeeperHistory(clients, { deployment, keeper: account.address })
    const pay = (amount: bigint) => `${formatUnits(amount, token.decimals)} ${token.symbol}`
    output.result(
      { keeper: account.address, market: deployment.market, running, pid: running ? file.pid : null, cursor: cursor ?? null, head, behind: cursor === undefined ? null : head - cursor, ...history },
      () =>
        [
          `keeper        ${account.address} (${running ? `running, pid ${file.pid}` : file ? `stopped${file.stoppedAt ? ` at ${new Date(file.stoppedAt).toLocaleString()}` : ' (killed)'}` : 'never started in this home'})`,
          `cursor        ${cursor === undefined ? 'none yet' : `block ${cursor}`}; chain head ${head}${cursor === undefined ? '' : ` (${head - cursor} behind)`}`,
          `liquidated    ${history.deals.length} deals, ${history.positions.length} positions`,
          ...history.deals.map((deal) => `  deal ${short(deal.dealId)} of ${deal.provider ? short(deal.provider) : '?'} in block ${deal.blockNumber}: bonus ${pay(deal.keeperBonus)} (client refunded ${pay(deal.refund)} + ${pay(deal.compensation)})`),
          ...history.positions.map((position) => `  position of ${short(position.provider)} in block ${position.blockNumber}: covered ${pay(position.repaid)}, received ${formatUnits(position.collateralSeized, 18)} ${collateralSymbol}`),
          `bonuses       ${pay(history.bonuses)}${history.bonuses > 0n ? ' (taken from providers, they vest one to two unbonding periods: `allot balance` shows from when, `allot claim` sends them)' : ''}${history.positions.length ? `; positions: paid ${pay(history.repaid)} for ${formatUnits(history.collateralSeized, 18)} ${collateralSymbol}` : ''}`,
          `gas spent     ${formatUnits(history.gasCost, 18)} ${clients.public.chain.nativeCurrency.symbol}`,
        ].join('\n'),
    )
  },
}

async function storedCursor(home: string, market: `0x${string}`): Promise<bigint | undefined> {
  let store
  try {
    store = await openStore(home)
  } catch {
    return undefined
  }
  try {
    return (await levelCursorStore(store.sublevel<StoredCursor>('cursors'), `keeper:${market}`).load())?.block
  } finally {
    await store.close()
  }
}
