import CliTable from 'cli-table3'
import { formatUnits } from 'viem'
import { runDemo } from '../../node/demo/runDemo.ts'
import type { CommandSpec } from '../command.ts'

// Plain borders and headings: the table reads the same in a terminal, a pipe or a log file.
class Table extends CliTable {
  constructor(options: { head: string[] }) {
    super({ ...options, style: { head: [], border: [] } })
  }
}

const tusd = (value: bigint) => formatUnits(value, 6)
const als = (value: bigint) => Number(formatUnits(value, 18)).toFixed(4)
const signed = (value: bigint, format: (v: bigint) => string) => (value > 0n ? `+${format(value)}` : value < 0n ? `-${format(-value)}` : '0')

export const demo: CommandSpec = {
  path: ['demo'],
  summary: 'the whole market on this machine: chain, three providers, a keeper, jobs, a provider that fails and is liquidated',
  options: [{ flags: '--keep', description: 'keep the demo’s homes and logs (their folder is printed)' }],
  examples: ['allot demo', 'npm start', 'allot demo --json'],
  async run(_args, options, { output, signal }) {
    const report = await runDemo({ keep: Boolean(options.keep), signal, onEvent: ({ step, text }) => output.progress(step, text) })
    output.result(report, (r) => {
      const deals = new Table({ head: ['deal', 'job', 'provider', 'price tUSD', 'outcome', 'openDeal', 'commitResult', 'settle', 'liquidateDeal'] })
      for (const deal of r.deals)
        deals.push([`${deal.dealId.slice(0, 10)}…`, deal.job, deal.provider, tusd(deal.price), deal.outcome, ...['openDeal', 'commitResult', 'settle', 'liquidateDeal'].map((op) => deal.gas[op]?.toLocaleString('en-US') ?? '—')])
      const parties = new Table({ head: ['party', 'tUSD before', 'tUSD change', 'ALS before', 'ALS change'] })
      for (const party of r.parties) parties.push([party.name, tusd(party.payment[0]), signed(party.payment[1] - party.payment[0], tusd), als(party.collateral[0]), signed(party.collateral[1] - party.collateral[0], als)])
      const liquidations = new Table({ head: ['liquidation', 'target', 'gas'] })
      for (const liquidation of r.liquidations) liquidations.push([liquidation.kind, liquidation.target.length > 12 ? `${liquidation.target.slice(0, 10)}…` : liquidation.target, liquidation.gasUsed.toLocaleString('en-US')])
      return [
        '',
        'Deals (gas from receipts)',
        deals.toString(),
        '',
        'Liquidations by the keeper',
        liquidations.toString(),
        '',
        'Balances (wallets; stakes sit in the market)',
        parties.toString(),
        `market: insurance fund ${tusd(r.market.insuranceFund)} tUSD, protocol fees ${tusd(r.market.feesAccrued)} tUSD`,
        ...r.shortfalls.map((s) => `shortfall recorded on chain for deal ${s.dealId.slice(0, 10)}…: ${tusd(s.amount)} tUSD of compensation the provider's position and the insurance fund could not cover`),
        `done in ${r.seconds.toFixed(1)} s; everything it started has stopped`,
      ].join('\n')
    })
  },
}
