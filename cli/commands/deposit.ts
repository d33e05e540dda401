import { depositPayment } from '../../node/chain/actions/depositPayment.ts'
import { getAccountBalances } from '../../node/chain/actions/getAccountBalances.ts'
import { getPaymentCredit } from '../../node/chain/actions/readMarket.ts'
import { ClientUnfundedError } from '../../node/client/errors.ts'
import type { CommandSpec } from '../command.ts'
import { connect } from '../connect.ts'
import { formatToken } from './balance.ts'
import { checkAmountSyntax, parseTokenAmount } from './parse.ts'

// A client's budget held by the market. A deal whose whole price the credit covers is paid from it, so opening it
// moves no tokens: no approval, no transfer (about 17,000 gas less per deal, `npm run bench:gas`). What is not
// spent comes back with `allot claim`, like a refund.
export const deposit: CommandSpec = {
  path: ['deposit'],
  summary: 'put payment tokens into your credit in the market: your deals are paid from it without a token transfer each, and `allot claim` sends back what you do not spend',
  arguments: ['<amount>'],
  examples: ['allot deposit 20', 'allot deposit 2.5 --json'],
  async run([value], _options, { settings, resolved, output, signal }) {
    checkAmountSyntax(value)
    const { clients, deployment, tokens } = await connect(settings, resolved)
    const amount = parseTokenAmount(value, tokens.payment)
    const account = clients.wallet.account.address
    const { payment } = await getAccountBalances(clients, { deployment, account })
    if (payment.balance < amount)
      throw new ClientUnfundedError({
        message: `Account ${account} holds ${formatToken(payment.balance, tokens.payment)}, less than the ${formatToken(amount, tokens.payment)} to deposit.`,
        hint: 'Deposit less, or fund the account first. Nothing was sent.',
      })
    const tx = await depositPayment(clients, { deployment, amount, signal })
    const credit = await getPaymentCredit(clients, { deployment, account })
    output.result({ deposited: amount, credit, tx: tx.hash, gasUsed: tx.gasUsed }, () =>
      [
        `deposited ${formatToken(amount, tokens.payment)} into your credit in the market (tx ${tx.hash})`,
        `credit      ${formatToken(credit, tokens.payment)} — a deal whose whole price it covers is paid from it; \`allot claim\` sends back what you do not spend`,
      ].join('\n'),
    )
  },
}
