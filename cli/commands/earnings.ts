import { parseEventLogs } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { claim } from '../../node/chain/actions/claim.ts'
import { getAccountBalances } from '../../node/chain/actions/getAccountBalances.ts'
import { withdrawEarnings } from '../../node/chain/actions/withdrawEarnings.ts'
import type { CommandSpec } from '../command.ts'
import { connect } from '../connect.ts'
import { CreditsStillVestingError } from '../errors.ts'
import { errorFormat } from '../explainError.ts'
import { formatToken } from './balance.ts'

// The market pays by credit (pull, not push): settling a deal credits the provider's earnings, and a deal
// liquidation credits the client's refund and compensation and the keeper's bonus. These two commands send
// what is credited.

export const providerWithdrawEarnings: CommandSpec = {
  path: ['provider', 'withdraw-earnings'],
  summary: 'send you the earnings of your settled deals that the market holds, less its protocol fee',
  examples: ['allot provider withdraw-earnings', 'allot provider withdraw-earnings --home ~/.allot-provider --json'],
  async run(_args, _options, { settings, resolved, output, signal }) {
    const { clients, deployment, tokens } = await connect(settings, resolved)
    const tx = await withdrawEarnings(clients, { deployment, signal })
    const [event] = parseEventLogs({ abi: allotMarketAbi, eventName: 'EarningsWithdrawn', logs: tx.receipt.logs })
    const { amount, fee } = event!.args
    output.result({ withdrawn: amount, fee, tx: tx.hash, gasUsed: tx.gasUsed }, () =>
      `withdrew ${formatToken(amount, tokens.payment)} of earnings (the market kept a ${formatToken(fee, tokens.payment)} fee) (tx ${tx.hash})`,
    )
  },
}

export const claimCredits: CommandSpec = {
  path: ['claim'],
  summary: 'send you what the market credits you and has unlocked: refunds, insurance payouts, your unspent deal credit, and compensation and keeper bonuses once they have vested',
  examples: ['allot claim', 'allot claim --home ~/.allot-keeper --json'],
  async run(_args, _options, { settings, resolved, output, signal }) {
    const { clients, deployment, tokens } = await connect(settings, resolved)
    const balances = await getAccountBalances(clients, { deployment, account: clients.wallet.account.address })
    const held = [
      { ...balances.payment, info: tokens.payment },
      ...(deployment.collateralToken === deployment.paymentToken ? [] : [{ ...balances.collateral, info: tokens.collateral }]),
    ]
    const date = errorFormat().date
    // Earliest first, so that the error below names the first date anything unlocks.
    const vesting = held
      .flatMap(({ token, vesting, info }) => vesting.map(({ amount, unlockAt }) => ({ token, amount, unlockAt, text: formatToken(amount, info) })))
      .sort((a, b) => (a.unlockAt < b.unlockAt ? -1 : 1))
    const credits = held.filter(({ claimable }) => claimable > 0n)
    if (credits.length === 0 && vesting.length > 0) throw new CreditsStillVestingError({ vesting: vesting.map(({ text, unlockAt }) => `${text} claimable from ${date(unlockAt)}`).join(' and '), from: date(vesting[0]!.unlockAt) })
    // Nothing credited at all: the market's own error says so, in market words.
    if (credits.length === 0) credits.push({ ...balances.payment, claimable: 0n, info: tokens.payment })
    const claimed: { token: string; amount: bigint; tx: string; text: string }[] = []
    for (const { token, claimable, info } of credits) {
      const tx = await claim(clients, { deployment, token, signal })
      claimed.push({ token, amount: claimable, tx: tx.hash, text: `claimed ${formatToken(claimable, info)} (tx ${tx.hash})` })
    }
    output.result({ claimed: claimed.map(({ text: _text, ...rest }) => rest), vesting: vesting.map(({ text: _text, ...rest }) => rest) }, () =>
      [...claimed.map(({ text }) => text), ...vesting.map(({ text, unlockAt }) => `still vesting: ${text} claimable from ${date(unlockAt)} (compensation and keeper bonuses taken from a provider wait one to two unbonding periods)`)].join('\n'),
    )
  },
}
