import { peerIdFromString } from '@libp2p/peer-id'
import { join } from 'node:path'
import { maxUint256, type Hex } from 'viem'
import { hashDealTerms } from '../../protocol/eip712/hashDealTerms.ts'
import { bidTypedData } from '../../protocol/eip712/bidTypedData.ts'
import { encodeJobBundle } from '../../protocol/job/encodeJobBundle.ts'
import { hashJobBundle } from '../../protocol/job/hashJobBundle.ts'
import { manifestRequirements } from '../../protocol/job/manifestRequirements.ts'
import { validateJobBundle } from '../../protocol/job/validateJobBundle.ts'
import { matchBid, type MatchBidReturnType, type MatchCandidate } from '../../protocol/matching/matchBid.ts'
import type { PricingCurve } from '../../protocol/pricing/pricingCurve.ts'
import { DEAL_PROTOCOL } from '../../protocol/protocols.ts'
import type { AskEntry } from '../../protocol/types/ask.ts'
import type { Bid, SignedBid } from '../../protocol/types/bid.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import type { DealProposal, LogEntry } from '../../protocol/types/messages.ts'
import { verifyDealAccept } from '../../protocol/validation/verifyDealAccept.ts'
import { ensureAllowance } from '../chain/actions/ensureAllowance.ts'
import { getPaymentCredit } from '../chain/actions/readMarket.ts'
import { openDeal } from '../chain/actions/openDeal.ts'
import { chainNow } from '../chain/chainNow.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'
import { readBundleFolder } from '../runtime/readBundleFolder.ts'
import { saveClientDeal, type ClientDeal } from './clientDeals.ts'
import { ChainChangedError, InvalidWasmEntryError, NoMatchError } from './errors.ts'
import type { BookMatcher } from './bookMatcher.ts'
import type { JobServer } from './serveJobs.ts'
import { collectResult } from './collectResult.ts'

// The compiler Node ships; the project's TypeScript settings carry no WebAssembly types.
const wasm = (globalThis as unknown as { WebAssembly: { compile: (bytes: Uint8Array) => Promise<unknown> } }).WebAssembly

/** Each step of a submission, in order; `waiting` and `declined` may repeat. */
export type JobProgress =
  | { step: 'bundled'; jobHash: Hex; bytes: number }
  | { step: 'waiting'; result: MatchBidReturnType }
  | { step: 'negotiating'; provider: Hex; peerId: string; price: bigint }
  | { step: 'declined'; provider: Hex; reason: string }
  | { step: 'deal-sending'; dealId: Hex; txHash: Hex }
  | { step: 'deal-opened'; dealId: Hex; terms: DealTerms; txHash: Hex; gasUsed: bigint }
  | { step: 'running' }
  | { step: 'log'; entry: LogEntry }
  | { step: 'result-committed'; resultHash: Hex }
  | { step: 'downloaded'; resultDir: string; bytes: number; exitCode: number }
  | { step: 'settled'; txHash: Hex; gasUsed: bigint }

export type SubmitJobComponents = {
  host: P2PHost
  clients: ChainClients
  deployment: Deployment
  /** The asks to match against; with `match`, matching goes through the columnar index. */
  book: { asks: () => AskEntry[]; match?: BookMatcher['match'] }
  jobs: JobServer
  /** The chain as the node's watch sees it: no deal is opened unless it is `ok`. */
  chain?: { condition: () => string }
}

export type SubmitJobParameters = {
  home: string
  /** The job folder: `allot.job.json` and its files. */
  folder: string
  maxPrice: bigint
  /** Where the result folder goes; `<home>/results/<dealId>` by default. */
  resultDir?: string
  /** How long to wait for an ask to match. */
  matchTimeoutMs?: number
  /** Settle as soon as the result checks out (the default); otherwise the window runs out. */
  settle?: boolean
  /** Return as soon as the deal is open (`--no-wait`); `collectResult` finishes it later. */
  wait?: boolean
  pricing?: PricingCurve
  /** Approve the market for every token of the account (once) instead of exactly each deal's price. */
  approveMax?: boolean
  onProgress?: (progress: JobProgress) => void
  signal?: AbortSignal
}

export type SubmitJobReturnType = { deal: ClientDeal; exitCode: number | undefined }

/**
 * Runs a job on the market, start to finish: bids, matches against the book,
 * proposes to the best provider (falling through to the next on a decline),
 * serves it the job, checks its signed terms, opens the deal on chain, follows
 * the logs, fetches the result, checks it against the committed hash, and settles.
 */
export async function submitJob(components: SubmitJobComponents, parameters: SubmitJobParameters): Promise<SubmitJobReturnType> {
  const { host, clients, deployment, book, jobs } = components
  const { home, folder, maxPrice, matchTimeoutMs = 30_000, pricing, signal } = parameters
  const progress = parameters.onProgress ?? (() => {})
  const market = { chainId: deployment.chainId, market: deployment.market }

  const files = await readBundleFolder(folder, { signal })
  const manifest = validateJobBundle(files)
  if (manifest.runtime === 'wasm') {
    // A module that does not compile would be paid for and then fail on the provider.
    const entry = files.find((file) => file.path === manifest.entry)!
    await wasm.compile(entry.bytes).catch((cause: unknown) => {
      throw new InvalidWasmEntryError({ entry: manifest.entry, cause })
    })
  }
  const jobHash = hashJobBundle(files)
  const bundlePath = join(home, 'client', 'jobs', `${jobHash.toLowerCase()}.bundle`)
  const encoded = encodeJobBundle(files)
  await writeFileAtomic(bundlePath, encoded)
  progress({ step: 'bundled', jobHash, bytes: encoded.length })

  const now = () => Math.floor(Date.now() / 1000)
  const bid: Bid = {
    client: clients.wallet.account.address,
    requirements: manifestRequirements(manifest),
    duration: manifest.limits.wallSeconds,
    maxPrice,
    jobHash,
    expiry: now() + 600,
    nonce: Date.now(),
  }
  const signedBid: SignedBid = { ...market, bid, signature: await clients.wallet.signTypedData(bidTypedData(bid, market)) }

  const declined: string[] = []
  const tried = new Set<string>()
  const started = Date.now()
  while (true) {
    signal?.throwIfAborted()
    // The order book lists only providers whose position can back a deal, hence no backing check here.
    const result = book.match ? book.match(bid, { now: now(), pricing, limit: tried.size + 16 }) : matchBid(bid, book.asks(), { now: now(), canBack: () => true, pricing })
    const fresh = result.candidates.filter((candidate) => !tried.has(candidate.hash))
    for (const candidate of fresh) {
      tried.add(candidate.hash)
      const opened = await tryCandidate(candidate)
      if (opened && parameters.wait === false) return { deal: opened, exitCode: undefined }
      if (opened) return await collectResult(components, { home, deal: opened, settle: parameters.settle, onProgress: progress, signal })
    }
    if (Date.now() - started > matchTimeoutMs) throw new NoMatchError({ result, maxPrice, declined })
    progress({ step: 'waiting', result })
    await new Promise((resolve) => setTimeout(resolve, 500))
  }

  /** The addresses the provider was reached at, for later commands that have no --bootstrap. */
  function providerAddresses(peerId: string): string[] {
    const peer = peerIdFromString(peerId)
    return [...new Set(host.getConnections(peer).map((connection) => connection.remoteAddr.toString()))]
  }

  async function tryCandidate(candidate: MatchCandidate): Promise<ClientDeal | undefined> {
    const { provider, peerId } = candidate.ask
    progress({ step: 'negotiating', provider, peerId, price: candidate.price })
    jobs.offer(jobHash, bundlePath, [peerId])
    const proposal: DealProposal = { bid: signedBid, askHash: candidate.hash, price: candidate.price, collateral: candidate.collateral }
    let answer
    try {
      const stream = await host.dialProtocol(peerIdFromString(peerId), DEAL_PROTOCOL, { signal })
      const ms = messageStream(stream)
      await ms.write({ type: 'deal-proposal', body: proposal }, { signal })
      answer = await ms.read(['deal-accept', 'deal-decline'], { signal: AbortSignal.any([AbortSignal.timeout(45_000), ...(signal ? [signal] : [])]) })
      await ms.close().catch(() => {})
    } catch (error) {
      signal?.throwIfAborted()
      declined.push(`${provider}: ${(error as Error).message}`)
      progress({ step: 'declined', provider, reason: (error as Error).message })
      return undefined
    }
    if (answer.type === 'deal-decline') {
      declined.push(`${provider}: ${answer.body.reason}`)
      progress({ step: 'declined', provider, reason: answer.body.reason + (answer.body.detail ? ` (${answer.body.detail})` : '') })
      return undefined
    }
    const { terms, providerSignature } = answer.body
    const check = await verifyDealAccept(answer.body, { ...market, now: await chainNow(clients), proposal, provider })
    if (!check.valid) {
      declined.push(`${provider}: terms refused (${check.reason})`)
      progress({ step: 'declined', provider, reason: `terms refused: ${check.reason}` })
      return undefined
    }
    const condition = components.chain?.condition() ?? 'ok'
    if (condition !== 'ok') throw new ChainChangedError({ condition })
    // Remembered before anything is sent: a client killed from here on still knows what it may have paid for.
    const dealId = hashDealTerms(terms, market)
    let deal: ClientDeal = {
      dealId,
      terms,
      market: deployment.market,
      providerPeer: peerId,
      providerAddresses: providerAddresses(peerId),
      providerSignature,
      jobFolder: folder,
      resultDir: parameters.resultDir ?? join(home, 'results', dealId.toLowerCase()),
      state: 'opening',
      openedAt: Date.now(),
      updatedAt: Date.now(),
      txs: {},
    }
    await saveClientDeal(home, deal)
    // The market takes the whole price from the client's credit when the credit covers it (`allot deposit`): no
    // transfer, hence no approval either.
    const credit = await getPaymentCredit(clients, { deployment, account: clients.wallet.account.address })
    if (credit < terms.price)
      await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount: terms.price, approve: parameters.approveMax ? maxUint256 : terms.price, signal })
    const opened = await openDeal(clients, {
      deployment,
      terms,
      providerSignature,
      signal,
      onSent: async (hash) => {
        await saveClientDeal(home, (deal = { ...deal, txs: { openDeal: hash } }))
        progress({ step: 'deal-sending', dealId, txHash: hash })
      },
    })
    await saveClientDeal(home, (deal = { ...deal, state: 'opened', openedAt: Date.now() }))
    progress({ step: 'deal-opened', dealId: opened.dealId, terms, txHash: opened.hash, gasUsed: opened.gasUsed })
    return deal
  }
}
