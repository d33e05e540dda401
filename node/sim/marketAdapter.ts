import { encodeFunctionData, erc20Abi, parseEventLogs, type Address, type Hex, type TransactionReceipt } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { allotMarketAbi, mockERC20Abi, mockPriceFeedAbi } from '../../contracts/abi/index.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import { dealTermsTypedData } from '../../protocol/eip712/dealTermsTypedData.ts'
import { hashDealTerms } from '../../protocol/eip712/hashDealTerms.ts'
import { devPrivateKeys } from '../chain/clients.ts'
import { deployDevMarket, defaultMarketParameters, type MarketParameters } from '../chain/deploy.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { SimCall, SimChain } from './simChain.ts'

/**
 * The one place the simulation touches the market contract: deployment with given parameters, the
 * calls agents make, the reads metrics need and the decoding of what a block did. When the contract
 * changes (a market factory, a bad-debt ledger, a volatility rule), this file changes, not the agents.
 */

/**
 * Rules a simulated market is created with (the factory's `MarketParameters`, volatility rule included);
 * fields the contract cannot take are reported in `SimMarket.ignored`.
 */
export type SimMarketParameters = MarketParameters & {
  /** Share of uncovered obligations position liquidations may cover per block (the contract fixes 50 %). */
  closeFactorBps?: number
}

export const defaultSimMarketParameters: SimMarketParameters = { ...defaultMarketParameters }

/** A provider's position with its health factor at the feed's price (WAD; undefined when the feed is stale). */
export type SimPosition = {
  obligations: bigint
  coverage: bigint
  collateral: bigint
  pendingWithdrawal: bigint
  healthFactor: bigint | undefined
}

/** What a block did to the market, decoded from its receipts. Amounts in payment-token units unless said. */
export type SimEvent =
  | { kind: 'dealOpened'; dealId: Hex; terms: DealTerms; tx: Hex }
  | { kind: 'resultCommitted'; dealId: Hex; tx: Hex }
  | { kind: 'dealSettled'; dealId: Hex; providerAmount: bigint; fee: bigint; tx: Hex }
  | { kind: 'dealLiquidated'; dealId: Hex; keeper: Address; refund: bigint; compensation: bigint; keeperBonus: bigint; insuranceShare: bigint; deferred: bigint; tx: Hex }
  | { kind: 'insuranceUsed'; dealId: Hex; payment: bigint; collateral: bigint; tx: Hex }
  | { kind: 'badDebt'; dealId: Hex; amount: bigint; tx: Hex }
  | { kind: 'positionLiquidated'; provider: Address; liquidator: Address; repaid: bigint; collateralSeized: bigint; tx: Hex }
  | { kind: 'payoutCredited'; token: Address; account: Address; amount: bigint; tx: Hex }

export type SimMarket = {
  deployment: Deployment
  parameters: SimMarketParameters
  /** Parameters asked for that this contract cannot take (they are left out of the run, and the report says so). */
  ignored: string[]
  /** Collateral price decimals of the feed. */
  priceDecimals: number
  calls: {
    approvePayment: (amount: bigint) => SimCall
    approveCollateral: (amount: bigint) => SimCall
    mintPayment: (to: Address, amount: bigint) => SimCall
    mintCollateral: (to: Address, amount: bigint) => SimCall
    depositCollateral: (amount: bigint) => SimCall
    openDeal: (terms: DealTerms, providerSignature: Hex) => SimCall
    commitResult: (terms: DealTerms, resultHash: Hex) => SimCall
    settle: (terms: DealTerms) => SimCall
    /** A client liquidating its own defaulted deal when no keeper has (what `allot job cancel` does). */
    liquidateDeal: (terms: DealTerms) => SimCall
    requestWithdrawal: (amount: bigint) => SimCall
    fundInsurance: (amount: bigint) => SimCall
    /** A feed round stamped at the block's time. */
    setPrice: (answer: bigint) => SimCall
  }
  /** The feed operator's account (the deployer). */
  feedOperator: PrivateKeyAccount
  signTerms: (provider: PrivateKeyAccount, terms: DealTerms) => Promise<Hex>
  readPositions: (providers: readonly Address[]) => Promise<Map<Address, SimPosition>>
  /** CF and LT in force now (the volatility rule lowers them as the feed's variance rises), basis points. */
  readFactors: () => Promise<{ collateralFactorBps: number; liquidationThresholdBps: number }>
  decode: (receipts: Iterable<TransactionReceipt>) => SimEvent[]
  /** The market's books for the accounting identity: what it holds and what its storage says it owes. */
  readBooks: (input: { providers: readonly Address[]; escrow: bigint; claimants: readonly { token: Address; account: Address }[] }) => Promise<MarketBooks>
}

export type MarketBooks = {
  payment: { held: bigint; owed: bigint }
  collateral: { held: bigint; owed: bigint }
  insuranceFund: bigint
  insuranceCollateral: bigint
  fees: bigint
  /** Bad debt the market's own ledger records (`badDebt()`). */
  recordedBadDebt: bigint
}

/**
 * Deploys tokens, feed and a market with `parameters` on the simulation's chain (automine still on).
 *
 * @example
 * const market = await deploySimMarket(chain, { parameters: defaultSimMarketParameters, collateralPrice: 2n * 10n ** 8n })
 */
export async function deploySimMarket(chain: SimChain, { parameters, collateralPrice }: { parameters: SimMarketParameters; collateralPrice: bigint }): Promise<SimMarket> {
  const { closeFactorBps, ...contractParameters } = parameters
  const ignored: string[] = []
  if (closeFactorBps !== undefined && closeFactorBps !== 5_000) ignored.push(`closeFactorBps=${closeFactorBps} (fixed at 5000 per block by this contract)`)
  const deployment = await deployDevMarket({ rpcUrl: chain.rpcUrl, chainId: chain.anvil.chainId, collateralPrice, parameters: contractParameters })
  const { market, paymentToken, collateralToken } = deployment
  const priceFeed = deployment.priceFeed!
  const call = (to: Address, data: Hex, gas?: bigint): SimCall => ({ to, data, gas })
  const marketCall = (functionName: string, args: readonly unknown[], gas?: bigint) => call(market, encodeFunctionData({ abi: allotMarketAbi, functionName, args } as never), gas)
  // A deal liquidation credits the client and the keeper (`claimable`) without a PayoutCredited event: the
  // books count the credits of every client and keeper seen in the events decoded so far.
  const creditedAccounts = new Set<Address>()

  return {
    deployment,
    parameters,
    ignored,
    priceDecimals: 8,
    feedOperator: privateKeyToAccount(devPrivateKeys[0]),
    calls: {
      approvePayment: (amount) => call(paymentToken, encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [market, amount] }), 80_000n),
      approveCollateral: (amount) => call(collateralToken, encodeFunctionData({ abi: erc20Abi, functionName: 'approve', args: [market, amount] }), 80_000n),
      mintPayment: (to, amount) => call(paymentToken, encodeFunctionData({ abi: mockERC20Abi, functionName: 'mint', args: [to, amount] }), 100_000n),
      mintCollateral: (to, amount) => call(collateralToken, encodeFunctionData({ abi: mockERC20Abi, functionName: 'mint', args: [to, amount] }), 100_000n),
      depositCollateral: (amount) => marketCall('depositCollateral', [amount], 150_000n),
      openDeal: (terms, signature) => marketCall('openDeal', [terms, signature], 250_000n),
      commitResult: (terms, resultHash) => marketCall('commitResult', [hashDealTerms(terms, { chainId: deployment.chainId, market }), resultHash], 120_000n),
      settle: (terms) => marketCall('settle', [terms], 200_000n),
      liquidateDeal: (terms) => marketCall('liquidateDeal', [terms], 400_000n),
      requestWithdrawal: (amount) => marketCall('requestWithdrawal', [amount], 150_000n),
      fundInsurance: (amount) => marketCall('fundInsurance', [amount], 120_000n),
      setPrice: (answer) => call(priceFeed, encodeFunctionData({ abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [answer] }), 80_000n),
    },
    signTerms: (provider, terms) => provider.signTypedData(dealTermsTypedData(terms, { chainId: deployment.chainId, market })),
    async readPositions(providers) {
      const read = (functionName: 'position' | 'healthFactor', provider: Address) =>
        chain.public.readContract({ address: market, abi: allotMarketAbi, functionName, args: [provider] } as never) as Promise<unknown>
      const rows = await Promise.all(
        providers.map(async (provider) => {
          const [position, healthFactor] = await Promise.all([read('position', provider), read('healthFactor', provider).catch(() => undefined)])
          const p = position as { obligations: bigint; coverage: bigint; collateral: bigint; pendingWithdrawal: bigint }
          return [provider, { obligations: p.obligations, coverage: p.coverage, collateral: p.collateral, pendingWithdrawal: p.pendingWithdrawal, healthFactor: healthFactor as bigint | undefined }] as const
        }),
      )
      return new Map(rows)
    },
    async readFactors() {
      const [collateralFactorBps, liquidationThresholdBps] = (await chain.public.readContract({ address: market, abi: allotMarketAbi, functionName: 'effectiveFactors' } as never)) as [bigint, bigint]
      return { collateralFactorBps: Number(collateralFactorBps), liquidationThresholdBps: Number(liquidationThresholdBps) }
    },
    decode(receipts) {
      const events: SimEvent[] = []
      for (const receipt of receipts) {
        if (receipt.status !== 'success') continue
        const tx = receipt.transactionHash
        for (const log of parseEventLogs({ abi: allotMarketAbi, logs: receipt.logs.filter((l) => l.address.toLowerCase() === market.toLowerCase()) })) {
          const a = log.args as unknown as Record<string, any> // eslint-disable-line @typescript-eslint/no-explicit-any -- each case reads its own event's fields
          switch (log.eventName) {
            case 'DealOpened':
              creditedAccounts.add(a.terms.client)
              events.push({ kind: 'dealOpened', dealId: a.dealId, terms: a.terms, tx })
              break
            case 'ResultCommitted':
              events.push({ kind: 'resultCommitted', dealId: a.dealId, tx })
              break
            case 'DealSettled':
              events.push({ kind: 'dealSettled', dealId: a.dealId, providerAmount: a.providerAmount, fee: a.fee, tx })
              break
            case 'DealLiquidated':
              creditedAccounts.add(a.keeper)
              events.push({ kind: 'dealLiquidated', dealId: a.dealId, keeper: a.keeper, refund: a.refund, compensation: a.compensation, keeperBonus: a.keeperBonus, insuranceShare: a.insuranceShare, deferred: a.deferred, tx })
              break
            case 'InsuranceUsed':
              events.push({ kind: 'insuranceUsed', dealId: a.dealId, payment: a.paymentAmount, collateral: a.collateralAmount, tx })
              break
            case 'CompensationShortfall':
              events.push({ kind: 'badDebt', dealId: a.dealId, amount: a.amount, tx })
              break
            case 'PositionLiquidated':
              events.push({ kind: 'positionLiquidated', provider: a.provider, liquidator: a.liquidator, repaid: a.repaid, collateralSeized: a.collateralSeized, tx })
              break
            case 'PayoutCredited':
              events.push({ kind: 'payoutCredited', token: a.token, account: a.account, amount: a.amount, tx })
              break
          }
        }
      }
      return events
    },
    async readBooks({ providers, escrow, claimants }) {
      // Each (token, account) once: the reported claimants, every client and keeper seen, and the providers.
      const creditClaimants = (reported: readonly { token: Address; account: Address }[]) => {
        // Providers too: coverage above their obligations is credited back to them (CoverageReleased).
        const all = [...reported, ...[...creditedAccounts, ...providers].flatMap((account) => [{ token: paymentToken, account }, { token: collateralToken, account }])]
        return [...new Map(all.map((c) => [`${c.token.toLowerCase()}:${c.account.toLowerCase()}`, c])).values()]
      }
      const view = (functionName: string, args: readonly unknown[] = []) => chain.public.readContract({ address: market, abi: allotMarketAbi, functionName, args } as never) as Promise<bigint>
      const balance = (token: Address) => chain.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [market] })
      const [paymentHeld, collateralHeld, insuranceFund, insuranceCollateral, fees, recordedBadDebt, positions, credits] = await Promise.all([
        balance(paymentToken),
        balance(collateralToken),
        view('insuranceFund'),
        view('insuranceCollateral'),
        view('feesAccrued'),
        view('badDebt'),
        Promise.all(providers.map((provider) => chain.public.readContract({ address: market, abi: allotMarketAbi, functionName: 'position', args: [provider] }))),
        // Credits at once and vesting ones (compensation and keeper bonuses wait an unbonding period): both are owed.
        Promise.all(
          creditClaimants(claimants).map(async ({ token, account }) => {
            const [credit, buckets] = await Promise.all([view('claimable', [token, account]), chain.public.readContract({ address: market, abi: allotMarketAbi, functionName: 'vesting', args: [token, account] })])
            return { token, amount: credit + buckets.reduce((sum, { amount }) => sum + amount, 0n) }
          }),
        ),
      ])
      const sum = (values: bigint[]) => values.reduce((a, b) => a + b, 0n)
      const credited = (token: Address) => sum(credits.filter((c) => c.token.toLowerCase() === token.toLowerCase()).map((c) => c.amount))
      return {
        payment: { held: paymentHeld, owed: escrow + sum(positions.map((p) => p.coverage + p.earnings)) + insuranceFund + fees + credited(paymentToken) },
        collateral: { held: collateralHeld, owed: sum(positions.map((p) => p.collateral + p.pendingWithdrawal)) + insuranceCollateral + credited(collateralToken) },
        insuranceFund,
        insuranceCollateral,
        fees,
        recordedBadDebt,
      }
    },
  }
}
