import { formatUnits, maxUint256 } from 'viem'
import { cancelWithdrawal } from '../../node/chain/actions/cancelWithdrawal.ts'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { getEffectiveFactors, getHealthFactor, getMaxDealCollateral, getParameters, getPosition } from '../../node/chain/actions/readMarket.ts'
import { requestWithdrawal } from '../../node/chain/actions/requestWithdrawal.ts'
import { withdraw } from '../../node/chain/actions/withdraw.ts'
import type { CommandSpec } from '../command.ts'
import { connect, type Connection } from '../connect.ts'
import { UsageError } from '../errors.ts'
import { checkAmountSyntax, parseTokenAmount } from './parse.ts'

export const stakeDeposit: CommandSpec = {
  path: ['stake', 'deposit'],
  summary: 'add collateral to your provider position (approves the market once if needed)',
  arguments: ['<amount>'],
  examples: ['allot stake deposit 100', 'allot stake deposit 2500.5 --json'],
  async run([value], _options, { settings, resolved, output, signal }) {
    checkAmountSyntax(value)
    const connection = await connect(settings, resolved)
    const { clients, deployment, tokens } = connection
    const amount = parseTokenAmount(value, tokens.collateral)
    const approval = await ensureAllowance(clients, { token: deployment.collateralToken, spender: deployment.market, amount, approve: maxUint256, signal })
    const deposit = await depositCollateral(clients, { deployment, amount, signal })
    const status = await positionStatus(connection)
    output.result({ deposited: amount, approvalTx: approval?.hash, tx: deposit.hash, gasUsed: deposit.gasUsed, position: status }, () =>
      [`deposited ${formatUnits(amount, tokens.collateral.decimals)} ${tokens.collateral.symbol} (tx ${deposit.hash})`, '', describeStatus(status, connection)].join('\n'),
    )
  },
}

export const stakeWithdraw: CommandSpec = {
  path: ['stake', 'withdraw'],
  summary: 'request a withdrawal (starts the unbonding period), claim one that has unbonded, or cancel it',
  arguments: ['[amount]'],
  options: [
    { flags: '--claim', description: 'withdraw collateral whose unbonding period has passed' },
    { flags: '--cancel', description: 'return the pending withdrawal to the position' },
    { flags: '--restart-unbonding', description: 'confirm a request made while another is pending: the unbonding clock restarts for the whole amount' },
  ],
  examples: ['allot stake withdraw 50', 'allot stake withdraw --claim', 'allot stake withdraw --cancel'],
  async run([value], options, { settings, resolved, output, signal }) {
    if (!options.claim && !options.cancel) checkAmountSyntax(value)
    const connection = await connect(settings, resolved)
    const { clients, deployment, tokens } = connection
    let tx
    let action: string
    if (options.claim) [tx, action] = [await withdraw(clients, { deployment, signal }), 'withdrew the unbonded collateral']
    else if (options.cancel) [tx, action] = [await cancelWithdrawal(clients, { deployment, signal }), 'cancelled the pending withdrawal']
    else {
      const amount = parseTokenAmount(value, tokens.collateral)
      await warnBeforeRestartingUnbonding(connection, amount, Boolean(options.restartUnbonding), output)
      tx = await requestWithdrawal(clients, { deployment, amount, signal })
      action = `requested a withdrawal of ${formatUnits(amount, tokens.collateral.decimals)} ${tokens.collateral.symbol}`
    }
    const status = await positionStatus(connection)
    output.result({ action, tx: tx.hash, position: status }, () => [`${action} (tx ${tx.hash})`, '', describeStatus(status, connection)].join('\n'))
  },
}

export const stakeStatus: CommandSpec = {
  path: ['stake', 'status'],
  summary: 'collateral, obligations, coverage, health factor and how much more you can back',
  options: [{ flags: '--provider <address>', description: 'show another provider’s position' }],
  examples: ['allot stake status', 'allot stake status --provider 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --json'],
  async run(_args, options, { settings, resolved, output }) {
    const connection = await connect(settings, resolved, { reads: 'as-me' })
    const provider = options.provider as `0x${string}` | undefined
    if (provider !== undefined && !/^0x[0-9a-fA-F]{40}$/.test(provider)) throw new UsageError(`--provider must be an address, not "${provider}".`)
    const status = await positionStatus(connection, provider)
    output.result(status, (s) => describeStatus(s, connection))
  },
}

/**
 * A second request adds to the pending withdrawal and restarts its unbonding clock for all of it,
 * so what was claimable soon would wait a whole period again: said first, and done only when confirmed.
 */
async function warnBeforeRestartingUnbonding({ clients, deployment, tokens }: Connection, amount: bigint, confirmed: boolean, output: { info: (text: string) => void }) {
  const position = await getPosition(clients, { deployment, provider: clients.wallet.account.address })
  if (position.pendingWithdrawal === 0n) return
  const collateral = (value: bigint) => `${formatUnits(value, tokens.collateral.decimals)} ${tokens.collateral.symbol}`
  const warning = `${collateral(position.pendingWithdrawal)} is already unbonding (claimable ${new Date(Number(position.withdrawableAt) * 1000).toLocaleString()}); a new request restarts the unbonding period for all ${collateral(position.pendingWithdrawal + amount)}.`
  if (!confirmed) throw new UsageError(warning, { hint: 'Claim the pending withdrawal first (`allot stake withdraw --claim` once it has unbonded), or add --restart-unbonding to go ahead.' })
  output.info(`warning: ${warning}`)
}

type PositionStatus = Awaited<ReturnType<typeof positionStatus>>

async function positionStatus({ clients, deployment }: Connection, provider = clients.wallet.account.address) {
  const [position, healthFactor, canBack, factors, parameters] = await Promise.all([
    getPosition(clients, { deployment, provider }),
    getHealthFactor(clients, { deployment, provider }).catch(() => undefined),
    getMaxDealCollateral(clients, { deployment, provider }).catch(() => undefined),
    getEffectiveFactors(clients, { deployment }),
    getParameters(clients, { deployment }),
  ])
  // The market lowers both factors as the collateral's price gets more volatile (rule fixed at its creation).
  const effective = {
    collateralFactorBps: Number(factors.collateralFactorBps),
    liquidationThresholdBps: Number(factors.liquidationThresholdBps),
    baseCollateralFactorBps: parameters.collateralFactorBps,
    baseLiquidationThresholdBps: parameters.liquidationThresholdBps,
  }
  return { provider, ...position, healthFactor, canBack, effective }
}

const bps = (value: number) => `${(value / 100).toFixed(2)}%`

function describeStatus(status: PositionStatus, { tokens }: Connection): string {
  const collateral = (value: bigint) => `${formatUnits(value, tokens.collateral.decimals)} ${tokens.collateral.symbol}`
  const payment = (value: bigint) => `${formatUnits(value, tokens.payment.decimals)} ${tokens.payment.symbol}`
  const hf =
    status.healthFactor === undefined ? 'unknown (price feed stale)' : status.healthFactor === maxUint256 ? '∞ (no obligations)' : Number(formatUnits(status.healthFactor, 18)).toFixed(3)
  return [
    `provider            ${status.provider}`,
    `collateral          ${collateral(status.collateral)}`,
    `pending withdrawal  ${collateral(status.pendingWithdrawal)}${status.pendingWithdrawal > 0n ? ` (withdrawable at ${new Date(Number(status.withdrawableAt) * 1000).toISOString()})` : ''}`,
    `obligations         ${payment(status.obligations)}`,
    `coverage            ${payment(status.coverage)}`,
    `health factor       ${hf}`,
    `collateral factor   ${bps(status.effective.collateralFactorBps)} now (${bps(status.effective.baseCollateralFactorBps)} when calm), liquidation threshold ${bps(status.effective.liquidationThresholdBps)} (${bps(status.effective.baseLiquidationThresholdBps)})`,
    `can still back      ${status.canBack === undefined ? 'unknown (price feed stale)' : payment(status.canBack)}`,
  ].join('\n')
}
