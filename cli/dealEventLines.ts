import type { MarketEvent } from '../node/chain/events/types.ts'
import type { ProviderDealEvent } from '../node/provider/dealEvents.ts'
import type { TokenInfo } from './connect.ts'
import { formatToken } from './commands/balance.ts'

/** A deal or account id short enough for a terminal line; `job` commands take such a prefix. */
export const shortId = (hex: string) => `${hex.slice(0, 10)}…`

const time = (unixSeconds: bigint) => new Date(Number(unixSeconds) * 1000).toLocaleTimeString()

/**
 * One line for one of a provider's deal events, as `[step, text]` for `output.progress`;
 * `undefined` for events shown only with -v (declined proposals).
 */
export function providerDealLine(event: ProviderDealEvent, payment: Pick<TokenInfo, 'symbol' | 'decimals'>): [string, string] | undefined {
  const pay = (amount: bigint) => formatToken(amount, payment)
  switch (event.kind) {
    case 'negotiated':
      return ['negotiated', `deal ${shortId(event.dealId)} with client ${shortId(event.client)}: ${pay(event.price)}, backed by ${pay(event.collateral)}, due by ${time(event.deadline)}`]
    case 'opened':
      return ['opened', `deal ${shortId(event.dealId)}: ${pay(event.price)} in escrow`]
    case 'running':
      return ['running', `deal ${shortId(event.dealId)}: ${event.runtime} job${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`]
    case 'committed':
      return ['committed', `deal ${shortId(event.dealId)}: result ${shortId(event.resultHash)}${event.exitCode === undefined ? '' : `, exit code ${event.exitCode}`} (tx ${shortId(event.hash)})`]
    case 'settled':
      return ['settled', `deal ${shortId(event.dealId)}: paid ${pay(event.payout)}`]
    case 'disputed':
      return ['disputed', `deal ${shortId(event.dealId)}: the client disputes the result and posted a bond of ${pay(event.bond)}; the arbiter decides`]
    case 'liquidated':
      return ['liquidated', `deal ${shortId(event.dealId)} by ${shortId(event.keeper)}: client refunded ${pay(event.refund)} and compensated ${pay(event.compensation)} from your position`]
    case 'failed':
      return ['failed', `deal ${shortId(event.dealId)}: ${event.reason}`]
    case 'declined':
      return undefined
  }
}

/**
 * One line for a deal event a keeper saw on chain, as `[step, text]`; `undefined` for
 * events that are not about a deal's life, and for this keeper's own liquidations
 * (its `liquidated` lines say more).
 */
export function keeperDealLine(event: MarketEvent, keeper: string, payment: Pick<TokenInfo, 'symbol' | 'decimals'>): [string, string] | undefined {
  const pay = (amount: bigint) => formatToken(amount, payment)
  switch (event.eventName) {
    case 'DealOpened':
      return ['opened', `deal ${shortId(event.args.dealId)} of provider ${shortId(event.args.provider)}: ${pay(event.args.terms.price)}, backed by ${pay(event.args.terms.collateral)}, due by ${time(event.args.terms.deadline)}`]
    case 'ResultCommitted':
      return ['committed', `deal ${shortId(event.args.dealId)}: result ${shortId(event.args.resultHash)}`]
    case 'DealSettled':
      return ['settled', `deal ${shortId(event.args.dealId)}: provider ${shortId(event.args.provider)} paid ${pay(event.args.providerAmount)}`]
    case 'DealsSettled':
      return ['settled', `${event.args.dealIds.length} deals of provider ${shortId(event.args.provider)}: ${pay(event.args.total)} credited`]
    case 'DealDisputed':
      return ['disputed', `deal ${shortId(event.args.dealId)}: bond ${pay(event.args.bond)}`]
    case 'DisputeResolved':
      return ['resolved', `deal ${shortId(event.args.dealId)}: provider ${event.args.providerAtFault ? 'at fault (liquidatable)' : 'not at fault (settled)'}`]
    case 'DealLiquidated':
      if (event.args.keeper.toLowerCase() === keeper.toLowerCase()) return undefined
      return ['liquidated', `deal ${shortId(event.args.dealId)} by another keeper ${shortId(event.args.keeper)}`]
    case 'PositionLiquidated':
      if (event.args.liquidator.toLowerCase() === keeper.toLowerCase()) return undefined
      return ['liquidated', `position of ${shortId(event.args.provider)} by another keeper ${shortId(event.args.liquidator)}: covered ${pay(event.args.repaid)}`]
    default:
      return undefined
  }
}
