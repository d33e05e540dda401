import { defaultSimMarketParameters, type SimMarketParameters } from './marketAdapter.ts'

/**
 * The parameters `allot sim` runs with unless told otherwise, and the centre of `allot sim sweep`'s grid: the default
 * market of `allot chain dev`, as contracts/params/defaultMarket.json defines it. The sweep's recommendation and this
 * set are one and the same by construction: when `allot sim sweep` (the README's command) recommends another set,
 * it says so, and the JSON file is what changes.
 */
export const recommendedParameters: SimMarketParameters = { ...defaultSimMarketParameters }
