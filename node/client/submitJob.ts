import { peerIdFromString } from '@libp2p/peer-id'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { parseEventLogs, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { bidTypedData } from '../../protocol/eip712/bidTypedData.ts'
import { decodeResultBundle } from '../../protocol/job/decodeResultBundle.ts'
import { encodeJobBundle } from '../../protocol/job/encodeJobBundle.ts'
import { hashJobBundle } from '../../protocol/job/hashJobBundle.ts'
import { manifestRequirements } from '../../protocol/job/manifestRequirements.ts'
import { validateJobBundle } from '../../protocol/job/validateJobBundle.ts'
import { matchBid, type MatchBidReturnType, type MatchCandidate } from '../../protocol/matching/matchBid.ts'
import type { PricingCurve } from '../../protocol/pricing/pricingCurve.ts'
import { DEAL_PROTOCOL, LOGS_PROTOCOL } from '../../protocol/protocols.ts'
import type { AskEntry } from '../../protocol/types/ask.ts'
import type { Bid, SignedBid } from '../../protocol/types/bid.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import type { DealProposal, LogEntry } from '../../protocol/types/messages.ts'
import { verifyDealAccept } from '../../protocol/validation/verifyDealAccept.ts'
import { ensureAllowance } from '../chain/actions/ensureAllowance.ts'
import { openDeal } from '../chain/actions/openDeal.ts'
import { getDeal } from '../chain/actions/readMarket.ts'
import { settle } from '../chain/actions/settle.ts'
import { chainNow } from '../chain/chainNow.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { writeFileAtomic } from '../provider/bundleFiles.ts'
import { readBundleFolder } from '../runtime/readBundleFolder.ts'
import { fetchBundle } from '../transfer/fetchBundle.ts'
import { saveClientDeal, type ClientDeal } from './clientDeals.ts'
import { NoMatchError, ResultTimeoutError } from './errors.ts'
import type { JobServer } from './serveJobs.ts'
import { writeResultFolder } from './writeResultFolder.ts'

/** Each step of a submission, in order; `waiting` and `declined` may repeat. */
export type JobProgress =
  | { step: 'bundled'; jobHash: Hex; bytes: number }
  | { step: 'waiting'; result: MatchBidReturnType }
  | { step: 'negotiating'; provider: Hex; peerId: string; price: bigint }
  | { step: 'declined'; provider: Hex; reason: string }
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
  book: { asks: () => AskEntry[] }
  jobs: JobServer
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
  pricing?: PricingCurve
  onProgress?: (progress: JobProgress) => void
  signal?: AbortSignal
}

export type SubmitJobReturnType = { deal: ClientDeal; exitCode: number }

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
    const result = matchBid(bid, book.asks(), { now: now(), canBack: () => true, pricing })
    const fresh = result.candidates.filter((candidate) => !tried.has(candidate.hash))
    for (const candidate of fresh) {
      tried.add(candidate.hash)
      const opened = await tryCandidate(candidate)
      if (opened) return await follow(opened)
    }
    if (Date.now() - started > matchTimeoutMs) throw new NoMatchError({ result, maxPrice, declined })
    progress({ step: 'waiting', result })
    await new Promise((resolve) => setTimeout(resolve, 500))
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
    await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount: terms.price, signal })
    const opened = await openDeal(clients, { deployment, terms, providerSignature, signal })
    const deal: ClientDeal = {
      dealId: opened.dealId,
      terms,
      providerPeer: peerId,
      jobFolder: folder,
      resultDir: parameters.resultDir ?? join(home, 'results', opened.dealId.toLowerCase()),
      state: 'opened',
      openedAt: Date.now(),
      updatedAt: Date.now(),
      txs: { openDeal: opened.hash },
    }
    await saveClientDeal(home, deal)
    progress({ step: 'deal-opened', dealId: opened.dealId, terms, txHash: opened.hash, gasUsed: opened.gasUsed })
    return deal
  }

  async function follow(deal: ClientDeal): Promise<SubmitJobReturnType> {
    const provider = peerIdFromString(deal.providerPeer)
    const stopLogs = new AbortController()
    let running = false
    const markRunning = async () => {
      if (running) return
      running = true
      progress({ step: 'running' })
      await saveClientDeal(home, (deal = { ...deal, state: 'running' }))
    }
    const logs = followLogs(deal.dealId, provider, AbortSignal.any([stopLogs.signal, ...(signal ? [signal] : [])]), async (entry) => {
      await markRunning()
      progress({ step: 'log', entry })
    })

    const resultHash = await waitForResult(deal)
    stopLogs.abort()
    await logs.catch(() => {})
    await markRunning()
    progress({ step: 'result-committed', resultHash })
    await saveClientDeal(home, (deal = { ...deal, state: 'committed', resultHash }))

    const bundlePath = `${deal.resultDir}.bundle`
    const fetched = await fetchBundle(host, { kind: 'result', peer: provider, id: deal.dealId, destination: bundlePath, expectedHash: resultHash, maxBytes: 1 << 30, signal })
    const result = decodeResultBundle(await readFile(bundlePath))
    await writeResultFolder(deal.resultDir, result)
    await saveClientDeal(home, (deal = { ...deal, state: 'downloaded', exitCode: result.exitCode }))
    progress({ step: 'downloaded', resultDir: deal.resultDir, bytes: fetched.bytes, exitCode: result.exitCode })

    if (parameters.settle !== false) {
      const settled = await settle(clients, { deployment, terms: deal.terms, signal })
      await saveClientDeal(home, (deal = { ...deal, state: 'settled', txs: { ...deal.txs, settle: settled.hash } }))
      progress({ step: 'settled', txHash: settled.hash, gasUsed: settled.gasUsed })
    }
    return { deal, exitCode: result.exitCode }
  }

  async function waitForResult(deal: ClientDeal): Promise<Hex> {
    while (true) {
      signal?.throwIfAborted()
      const state = await getDeal(clients, { deployment, dealId: deal.dealId })
      if (state.statusName === 'Committed') break
      if (state.statusName !== 'Open') throw new ResultTimeoutError({ dealId: deal.dealId, deadline: deal.terms.deadline })
      if ((await chainNow(clients)) > Number(deal.terms.deadline)) {
        await saveClientDeal(home, { ...deal, state: 'defaulted' })
        throw new ResultTimeoutError({ dealId: deal.dealId, deadline: deal.terms.deadline })
      }
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    const events = await clients.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'ResultCommitted', args: { dealId: deal.dealId }, fromBlock: deployment.deploymentBlock === 0 ? 0n : BigInt(deployment.deploymentBlock) })
    const [committed] = parseEventLogs({ abi: allotMarketAbi, eventName: 'ResultCommitted', logs: events })
    return committed!.args.resultHash
  }

  async function followLogs(dealId: Hex, provider: ReturnType<typeof peerIdFromString>, logSignal: AbortSignal, onEntry: (entry: LogEntry) => Promise<void>) {
    let next = 0
    while (!logSignal.aborted) {
      try {
        const ms = messageStream(await host.dialProtocol(provider, LOGS_PROTOCOL, { signal: logSignal }))
        await ms.write({ type: 'logs-request', body: { dealId, from: next } }, { signal: logSignal })
        while (true) {
          const message = await ms.read(['log-entry', 'fetch-error'], { signal: logSignal })
          if (message.type === 'fetch-error') break
          next = message.body.seq + 1
          await onEntry(message.body)
        }
      } catch {
        // The provider closes the stream when the job ends or before it starts; ask again shortly.
      }
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
  }
}
