import type { ClientDeal } from '../node/client/clientDeals.ts'
import { DealOnOtherMarketError } from '../node/client/errors.ts'
import type { Settings } from './settings.ts'

/**
 * The settings for a command about a remembered deal: the deal's own market when none is
 * chosen, so `job status` and its kin need no --market for a deal opened on another market.
 *
 * @throws DealOnOtherMarketError when the chosen market is not the deal's.
 */
export function settingsForDeal(settings: Settings, deal: Pick<ClientDeal, 'dealId' | 'market'> | undefined): Settings {
  if (!deal?.market) return settings
  if (settings.market === undefined) return { ...settings, market: deal.market }
  if (settings.market.toLowerCase() !== deal.market.toLowerCase()) throw new DealOnOtherMarketError({ dealId: deal.dealId, market: deal.market, chosen: settings.market })
  return settings
}
