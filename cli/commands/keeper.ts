import { once } from 'node:events'
import { erc20Abi, formatUnits, parseUnits } from 'viem'
import { createChainClients } from '../../node/chain/clients.ts'
import { readDeployment } from '../../node/chain/deployment.ts'
import { ChainMismatchError, toChainError } from '../../node/chain/errors.ts'
import { createKeeper, type Liquidation } from '../../node/keeper/index.ts'
import { openStore } from '../../node/store/openStore.ts'
import { commandAccount } from '../account.ts'
import type { CommandSpec } from '../command.ts'
import { UsageError } from '../errors.ts'
import { createMetricsRegistry } from '../../node/metrics/createMetricsRegistry.ts'
import { recordKeeperMetrics } from '../../node/keeper/metrics.ts'
import { metricsOption, startMetrics } from './metricsOption.ts'
import { parseInteger } from './parse.ts'

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
  async run(_args, options, { settings, resolved, output, signal }) {
    // The keeper's account pays gas and, for position liquidations, payment tokens; it receives the bonuses.
    const account = await commandAccount(settings)
    const deployment = await readDeployment(settings.deployment!)
    // A deployment file written by `allot chain dev` names its chain; an explicit --rpc/ALLOT_RPC wins.
    const rpcUrl = resolved.sources.rpc === 'default' && deployment.rpcUrl ? deployment.rpcUrl : settings.rpc!
    const registry = createMetricsRegistry()
    const clients = createChainClients({ rpcUrl, chainId: deployment.chainId, account, registry })
    let decimals: number
    try {
      const chainId = await clients.public.getChainId()
      if (chainId !== deployment.chainId) throw new ChainMismatchError({ expected: deployment.chainId, actual: chainId })
      decimals = await clients.public.readContract({ address: deployment.paymentToken, abi: erc20Abi, functionName: 'decimals' })
    } catch (error) {
      throw toChainError(error, { functionName: 'decimals', rpcUrl })
    }
    const amount = (value: bigint) => formatUnits(value, decimals)

    const store = await openStore(settings.home)
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
    const liquidations: Liquidation[] = []
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
      output.progress('error', `${detail.target ? `${detail.kind} ${short(detail.target)}: ` : ''}${(error as { shortMessage?: string }).shortMessage ?? error.message}`)
    })

    const metricsServer = await startMetrics(registry, options.metrics, output).catch(async (error) => {
      await store.close()
      throw error
    })
    try {
      await keeper.start()
      output.progress('started', `keeper ${keeper.address} on chain ${deployment.chainId}, market ${deployment.market}; ${keeper.metrics().dealsTracked} deals remembered`)
      if (!signal.aborted) await once(signal, 'abort')
    } finally {
      await keeper.stop()
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
