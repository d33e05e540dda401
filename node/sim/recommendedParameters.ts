import { defaultSimMarketParameters, type SimMarketParameters } from './marketAdapter.ts'

/**
 * The parameters `allot sim sweep` recommends (see the README's frontier chart for why); `allot sim`
 * runs with them unless told otherwise. The market's own defaults live with the contracts; the lead
 * wires this recommendation there.
 */
export const recommendedParameters: SimMarketParameters = {
  ...defaultSimMarketParameters,
}
