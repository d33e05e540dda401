import { formatUnits, maxUint256 } from 'viem'
import { getAccountBalances, type TokenBalance } from '../../node/chain/actions/getAccountBalances.ts'
import type { CommandSpec } from '../command.ts'
import { connect, type TokenInfo } from '../connect.ts'
import { errorFormat } from '../explainError.ts'

/** An amount of a token for people: `12.5 tUSD`. */
export const formatToken = (amount: bigint, token: Pick<TokenInfo, 'symbol' | 'decimals'>) => `${formatUnits(amount, token.decimals)} ${token.symbol}`

// An allowance this large is an approval "for good": printing 1.1e59 tokens helps nobody.
const formatAllowance = (amount: bigint, token: TokenInfo) => (amount >= maxUint256 / 2n ? 'unlimited' : formatToken(amount, token))

export const balance: CommandSpec = {
  path: ['balance'],
  summary: 'your gas, payment and collateral tokens, and what the market may take from them',
  examples: ['allot balance', 'allot balance --home ~/.allot-provider --json'],
  async run(_args, _options, { settings, resolved, output }) {
    const { clients, deployment, tokens } = await connect(settings, resolved, { reads: 'as-me' })
    const balances = await getAccountBalances(clients, { deployment, account: clients.wallet.account.address })
    const gasSymbol = clients.public.chain.nativeCurrency.symbol
    const sameToken = deployment.paymentToken === deployment.collateralToken
    const date = errorFormat().date
    const token = (name: string, held: TokenBalance, info: TokenInfo) => [
      `${name.padEnd(12)}${formatToken(held.balance, info)}`,
      `${''.padEnd(12)}approved to the market: ${formatAllowance(held.allowance, info)}${held.claimable > 0n ? `; credited to you in the market: ${formatToken(held.claimable, info)} (deposits, refunds, compensation, bonuses; a deal whose whole price it covers is paid from it) — \`allot claim\` sends it` : ''}`,
      ...held.vesting.map(({ amount, unlockAt }) => `${''.padEnd(12)}vesting: ${formatToken(amount, info)} taken from a defaulted provider (compensation, keeper bonus), claimable from ${date(unlockAt)}`),
    ]
    output.result(
      {
        account: balances.account,
        gas: { symbol: gasSymbol, decimals: 18, balance: balances.gas },
        payment: { ...balances.payment, symbol: tokens.payment.symbol, decimals: tokens.payment.decimals },
        collateral: { ...balances.collateral, symbol: tokens.collateral.symbol, decimals: tokens.collateral.decimals },
        earnings: balances.earnings,
        market: deployment.market,
      },
      () =>
        [
          `account     ${balances.account}`,
          `gas         ${formatUnits(balances.gas, 18)} ${gasSymbol}${balances.gas === 0n ? ` — fund this account with ${gasSymbol} before sending any transaction` : ''}`,
          ...token(sameToken ? 'tokens' : 'payment', balances.payment, tokens.payment),
          ...(sameToken ? [] : token('collateral', balances.collateral, tokens.collateral)),
          ...(balances.earnings > 0n ? [`earnings    ${formatToken(balances.earnings, tokens.payment)} of settled deals held by the market for you (before its fee) — \`allot provider withdraw-earnings\` sends them`] : []),
        ].join('\n'),
    )
  },
}
