import { formatUnits, maxUint256 } from 'viem'
import { ProviderOnOtherMarketError } from '../../node/control/errors.ts'
import { fetchControl, type Jsonified } from '../../node/control/fetchControl.ts'
import type { ProviderStatusSnapshot } from '../../node/provider/providerStatus.ts'
import type { CommandSpec } from '../command.ts'
import { formatToken } from './balance.ts'

type Snapshot = Jsonified<ProviderStatusSnapshot>

export const providerStatusCommand: CommandSpec = {
  path: ['provider', 'status'],
  summary: 'what the provider running in this home is doing: position, ask, GPUs, jobs and earnings',
  examples: ['allot provider status', 'allot provider status --home ~/.allot-provider --json'],
  async run(_args, _options, { settings, output, signal }) {
    const status = await fetchControl<ProviderStatusSnapshot>({ home: settings.home, path: '/status', signal })
    if (settings.market && settings.market.toLowerCase() !== status.market.toLowerCase()) throw new ProviderOnOtherMarketError({ home: settings.home, market: status.market, chosen: settings.market })
    output.result(status, describeProviderStatus)
  },
}

/** The snapshot for people: amounts in tokens, shares in percent. */
export function describeProviderStatus(status: Snapshot): string {
  const { payment, collateral } = status.tokens
  const pay = (amount: string) => formatToken(BigInt(amount), payment)
  const { position, ask, jobs, earnings } = status
  const hf = position.healthFactor === null ? 'unknown (price feed stale)' : BigInt(position.healthFactor) === maxUint256 ? '∞ (no obligations)' : Number(formatUnits(BigInt(position.healthFactor), 18)).toFixed(3)
  // Ask prices are in millionths of the token's smallest unit per unit-second.
  const unitPrice = (price: string) => `${formatUnits(BigInt(price), payment.decimals + 6)} ${payment.symbol}`
  const resources = (r: NonNullable<Snapshot['ask']>['capacity']) =>
    `${r.cpuMillicores / 1000} cores, ${r.memoryMiB} MiB memory, ${r.diskMiB} MiB disk${r.gpus.map((gpu) => `, ${gpu.count}× ${gpu.model}`).join('')}`
  return [
    `provider          ${status.address}`,
    `peer id           ${status.peerId}`,
    `market            ${status.market}`,
    '',
    `collateral        ${formatToken(BigInt(position.collateral), collateral)}${position.collateralValue === null ? '' : ` (worth ${pay(position.collateralValue)})`}`,
    ...(BigInt(position.pendingWithdrawal) > 0n
      ? [`  withdrawing     ${formatToken(BigInt(position.pendingWithdrawal), collateral)}, from ${new Date(Number(position.withdrawableAt) * 1000).toLocaleString()}`]
      : []),
    `obligations       ${pay(position.obligations)}`,
    `coverage          ${pay(position.coverage)}`,
    `health factor     ${hf}; liquidatable below 1`,
    `                  (collateral counts ${position.liquidationThresholdBps / 100}% of its value toward health, ${position.collateralFactorBps / 100}% toward backing new deals)`,
    `can still back    ${pay(position.backingRoom)} of deal collateral`,
    '',
    ...(ask
      ? [
          `ask               ${unitPrice(ask.prices.cpu)} per core-second, ${unitPrice(ask.prices.memory)} per GiB-second${ask.prices.gpus.map((gpu) => `, ${unitPrice(gpu.price)} per ${gpu.model}-second`).join('')}`,
          `                  collateral ${ask.collateralBps / 100}% of the price; jobs of ${ask.minDuration} s to ${ask.maxDuration} s; valid until ${new Date(ask.expiry * 1000).toLocaleTimeString()}`,
          `utilization       ${(Number(formatUnits(BigInt(ask.utilization), 18)) * 100).toFixed(1)}% (prices rise with it)`,
          `capacity          ${resources(ask.capacity)}`,
          `free              ${resources(ask.free)}`,
        ]
      : ['ask               none published yet']),
    `runtimes          ${status.runtimes.join(', ') || 'none'}`,
    status.gpus.length === 0 ? 'GPUs              none' : 'GPUs',
    ...status.gpus.map((gpu) => `  ${gpu.index} ${gpu.model} (${gpu.uuid}): ${gpu.heldBy ? `held by deal ${gpu.heldBy}` : 'free'}`),
    '',
    `jobs              ${jobs.running} running, ${jobs.done} done, ${jobs.failed} failed (${jobs.offered} offered and not opened yet, ${jobs.expired} never opened, ${jobs.declinedProposals} proposals declined)`,
    `earnings          ${pay(earnings.settled)} settled, ${pay(earnings.pending)} pending (committed, not settled yet)`,
  ].join('\n')
}
