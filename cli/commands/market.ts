import CliTable from 'cli-table3'
import { formatUnits } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { getEffectiveFactors, getParameters } from '../../node/chain/actions/readMarket.ts'
import { listMarkets } from '../../node/chain/createMarket.ts'
import { marketStats } from '../../protocol/pricing/marketStats.ts'
import { pricingCurvePoints } from '../../protocol/pricing/pricingCurvePoints.ts'
import type { CommandSpec } from '../command.ts'
import { connect } from '../connect.ts'
import { startCliNode } from '../startCliNode.ts'

const percent = (wad: bigint) => `${(Number(wad) / 1e16).toFixed(1)}%`
const table = (head: string[]) => new CliTable({ head, style: { head: [], border: [] } })

export const marketAsks: CommandSpec = {
  path: ['market', 'asks'],
  summary: 'the asks in the book, pulled from the network',
  examples: ['allot market asks --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…', 'allot market asks --json'],
  async run(_args, _options, context) {
    const { node } = await startCliNode(context, { syncOnStart: true, reads: 'anyone' })
    try {
      const asks = node.orderBook.asks()
      context.output.result(
        asks.map(({ hash, ask }) => ({ hash, ...ask })),
        (list) => {
          if (list.length === 0) return 'no asks in the book (check --bootstrap)'
          const t = table(['provider', 'free cpu', 'free MiB', 'gpus', 'runtimes', 'cpu price', 'mem price', 'collateral', 'expires'])
          for (const ask of list)
            t.push([`${ask.provider.slice(0, 10)}…`, `${ask.free.cpuMillicores / 1000}/${ask.capacity.cpuMillicores / 1000}`, `${ask.free.memoryMiB}/${ask.capacity.memoryMiB}`, ask.free.gpus.map((g) => `${g.count}×${g.model}`).join(' ') || '—', ask.runtimes.join(','), String(ask.prices.cpu), String(ask.prices.memory), `${ask.collateralBps / 100}%`, new Date(ask.expiry * 1000).toISOString().slice(11, 19)])
          return t.toString()
        },
      )
    } finally {
      await node.stop()
    }
  },
}

export const marketBids: CommandSpec = {
  path: ['market', 'bids'],
  summary: 'the bids in the book, pulled from the network',
  examples: ['allot market bids --json'],
  async run(_args, _options, context) {
    const { node, connection } = await startCliNode(context, { syncOnStart: true, reads: 'anyone' })
    try {
      const bids = node.orderBook.bids()
      context.output.result(
        bids.map(({ hash, signed }) => ({ hash, ...signed.bid })),
        (list) =>
          list.length === 0
            ? 'no bids in the book'
            : list.map((bid) => `${bid.hash.slice(0, 12)}…  ${bid.client}  ${bid.requirements.runtime}  ${bid.requirements.cpuMillicores}m ${bid.requirements.memoryMiB} MiB  max ${formatUnits(bid.maxPrice, connection.tokens.payment.decimals)} ${connection.tokens.payment.symbol}`).join('\n'),
      )
    } finally {
      await node.stop()
    }
  },
}

export const marketStatsCommand: CommandSpec = {
  path: ['market', 'stats'],
  summary: 'book-wide utilization, price quantiles per resource class, and the pricing curve',
  examples: ['allot market stats', 'allot market stats --json'],
  async run(_args, _options, context) {
    const { node } = await startCliNode(context, { syncOnStart: true, reads: 'anyone' })
    try {
      const stats = marketStats(node.orderBook.asks().map(({ ask }) => ask), { now: Math.floor(Date.now() / 1000) })
      const curve = pricingCurvePoints()
      context.output.result({ ...stats, curve }, (s) => {
        const usage = table(['resource', 'capacity', 'free', 'utilization'])
        for (const [name, u] of Object.entries(s.usage)) if (!Array.isArray(u)) usage.push([name, String(u.capacity), String(u.free), percent(u.utilization)])
        for (const u of s.usage.gpuModels) usage.push([u.model, String(u.capacity), String(u.free), percent(u.utilization)])
        const prices = table(['price (millionths of a unit per second)', 'min', 'p25', 'median', 'p75', 'max'])
        for (const [name, q] of [['cpu (per core)', s.prices.cpu], ['memory (per GiB)', s.prices.memory], ...s.prices.gpus.map((g) => [g.model, g] as const)] as const)
          if (q) prices.push([name, String(q.min), String(q.p25), String(q.median), String(q.p75), String(q.max)])
        const points = s.curve.map((p) => `${percent(p.utilization)} → ×${(Number(p.multiplier) / 1e18).toFixed(2)}`).join(', ')
        return [`${s.asks} asks`, usage.toString(), prices.toString(), `pricing curve (kink 80%, slopes 0.5 and 5): ${points}`].join('\n')
      })
    } finally {
      await node.stop()
    }
  },
}

export const marketList: CommandSpec = {
  path: ['market', 'list'],
  summary: 'the markets the factory created: their immutable rules and the collateral factor in force now',
  examples: ['allot market list', 'allot market list --json'],
  async run(_args, _options, context) {
    const { clients, deployment, defaultMarket } = await connect(context.settings, context.resolved, { reads: 'anyone' })
    const addresses = deployment.factory ? await listMarkets(clients, { factory: deployment.factory }) : [deployment.market]
    const markets = await Promise.all(
      addresses.map(async (address) => {
        const market = { market: address }
        const [parameters, factors, paymentToken, collateralToken, badDebt] = await Promise.all([
          getParameters(clients, { deployment: market }),
          getEffectiveFactors(clients, { deployment: market }).catch(() => undefined),
          clients.public.readContract({ address, abi: allotMarketAbi, functionName: 'paymentToken' }),
          clients.public.readContract({ address, abi: allotMarketAbi, functionName: 'collateralToken' }),
          clients.public.readContract({ address, abi: allotMarketAbi, functionName: 'badDebt' }),
        ])
        return { market: address, default: address === defaultMarket, chosen: address === deployment.market, paymentToken, collateralToken, parameters, effective: factors, badDebt }
      }),
    )
    context.output.result(markets, (list) => {
      const t = table(['market', '', 'CF now', 'CF', 'LT', 'keeper', 'insurance', 'fee', 'unbonding', 'arbitration', 'min deal', 'bad debt'])
      const bps = (value: number | bigint) => `${Number(value) / 100}%`
      const hours = (seconds: number) => `${+(seconds / 3600).toFixed(2)} h`
      for (const m of list)
        t.push([m.market, [m.default ? 'default' : '', m.chosen && !m.default ? 'chosen' : ''].join(''), m.effective ? bps(m.effective.collateralFactorBps) : '?', bps(m.parameters.collateralFactorBps), bps(m.parameters.liquidationThresholdBps), bps(m.parameters.keeperBonusBps), bps(m.parameters.insuranceBps), bps(m.parameters.protocolFeeBps), hours(m.parameters.unbondingPeriod), hours(m.parameters.arbitrationWindow), `${m.parameters.minDealDuration} s`, String(m.badDebt)])
      return `${list.length} market${list.length === 1 ? '' : 's'}${deployment.factory ? ` from factory ${deployment.factory}` : ''}\n${t.toString()}`
    })
  },
}
