import type { Connection, Stream } from '@libp2p/interface'
import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { bytesToBigInt, type Hex } from 'viem'
import { hashDealTerms } from '../../protocol/eip712/hashDealTerms.ts'
import { decodeJobBundle } from '../../protocol/job/decodeJobBundle.ts'
import { manifestRequirements } from '../../protocol/job/manifestRequirements.ts'
import { validateJobBundle } from '../../protocol/job/validateJobBundle.ts'
import type { JobResources } from '../../protocol/job/jobManifestSchema.ts'
import type { DealTerms } from '../../protocol/types/dealTerms.ts'
import type { Requirements } from '../../protocol/types/resources.ts'
import { DeclineReason, type DealProposal } from '../../protocol/types/messages.ts'
import { validateDealProposal } from '../../protocol/validation/validateDealProposal.ts'
import { verifyBid } from '../../protocol/validation/verifyBid.ts'
import { signDealTerms } from '../chain/actions/signDealTerms.ts'
import { chainNow } from '../chain/chainNow.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { fetchBundle } from '../transfer/fetchBundle.ts'
import { transferMetrics } from '../transfer/metrics.ts'
import { writeBundleFolder } from '../transfer/writeBundleFolder.ts'
import type { ProviderContext } from './context.ts'

class Declined extends Error {
  constructor(
    readonly reason: DeclineReason,
    readonly detail?: string,
  ) {
    super(reason)
  }
}

/**
 * Answers one deal proposal on `/allot/deal/1.0.0`. The job is fetched from the
 * client and checked against the bid's job hash before anything is signed, so a
 * client can never open a deal for a job it then withholds.
 */
export async function handleProposal(context: ProviderContext, stream: Stream, connection: Connection): Promise<void> {
  const signal = AbortSignal.any([context.signal, AbortSignal.timeout(context.negotiationTimeoutMs)])
  const ms = messageStream(stream)
  let reservationId: Hex | undefined
  try {
    const proposal = (await ms.read(['deal-proposal'], { signal })).body
    const { terms, dealId } = await accept(context, proposal, connection, signal, (id) => (reservationId = id))
    const providerSignature = await signDealTerms(context.clients, { deployment: context.deployment, terms })
    await context.records.put({ dealId, terms, state: 'offered', clientPeer: connection.remotePeer.toString(), attempts: 0, updatedAt: Date.now() })
    context.offers.set(dealId.toLowerCase(), { collateral: terms.collateral, expiresAt: Date.now() + context.termsLifetimeSeconds * 1000 })
    await ms.write({ type: 'deal-accept', body: { terms, providerSignature } }, { signal })
    context.log('offered deal %s to %s for %s', dealId, terms.client, terms.price)
  } catch (error) {
    if (reservationId) context.ledger.release(reservationId)
    context.counters.declined += 1
    const declined = error instanceof Declined ? error : new Declined(DeclineReason.Internal)
    if (!(error instanceof Declined)) context.log.error('proposal failed: %O', error)
    else context.log('declined a proposal: %s %s', declined.reason, declined.detail ?? '')
    await ms.write({ type: 'deal-decline', body: { reason: declined.reason, ...(declined.detail ? { detail: declined.detail.slice(0, 256) } : {}) } }, { signal }).catch(() => {})
  } finally {
    await ms.close().catch(() => {})
  }
}

/** A bid's requirements in the ledger's terms (an empty GPU model or VRAM means any). */
function requiredResources({ cpuMillicores, memoryMiB, diskMiB, gpus }: Requirements): JobResources {
  const [gpu] = gpus
  return {
    cpuMillicores,
    memoryMiB,
    diskMiB,
    ...(gpu ? { gpu: { count: gpu.count, ...(gpu.model ? { model: gpu.model } : {}), ...(gpu.vramMiB ? { vramMiB: gpu.vramMiB } : {}) } } : {}),
  }
}

async function accept(context: ProviderContext, proposal: DealProposal, connection: Connection, signal: AbortSignal, reserved: (id: Hex) => void) {
  const now = Math.floor(Date.now() / 1000)
  const market = { chainId: context.deployment.chainId, market: context.deployment.market }
  const current = context.currentAsk()
  if (!current) throw new Declined(DeclineReason.AskUnknown, 'no ask published yet')
  const bidCheck = await verifyBid(proposal.bid, { ...market, now })
  if (!bidCheck.valid) throw new Declined(bidCheck.reason === 'expired' ? DeclineReason.BidExpired : DeclineReason.BidInvalid, bidCheck.reason)

  const room = context.backingRoom()
  const verdict = validateDealProposal(proposal, {
    ...market,
    now,
    ask: current.signed.ask,
    askHash: current.hash,
    free: undefined,
    canBack: (_provider, collateral) => collateral <= room,
    pricing: context.pricing,
  })
  if (!verdict.valid) throw new Declined(verdict.reason)

  const { bid } = proposal.bid
  // Deadline and expiry are checked against block.timestamp: they are set in chain time.
  const chainTime = await chainNow(context.clients)
  const terms: DealTerms = {
    client: bid.client,
    provider: context.address,
    price: verdict.price,
    collateral: verdict.collateral,
    jobHash: bid.jobHash,
    deadline: BigInt(chainTime + bid.duration + context.deadlineSlackSeconds),
    expiry: BigInt(chainTime + context.termsLifetimeSeconds),
    salt: bytesToBigInt(randomBytes(32)),
  }
  const dealId = hashDealTerms(terms, market)
  try {
    context.ledger.reserve(
      dealId,
      requiredResources(bid.requirements),
      Date.now() + context.termsLifetimeSeconds * 1000,
    )
    reserved(dealId)
  } catch (error) {
    throw new Declined(DeclineReason.CapacityUnavailable, (error as Error).message)
  }

  // Fetch the job (or reuse it: a client may propose the same job again after a decline).
  const bundlePath = context.paths.jobBundle(bid.jobHash)
  if (!existsSync(bundlePath)) {
    try {
      const fetched = await fetchBundle(context.host, { kind: 'job', peer: connection.remotePeer, id: bid.jobHash, destination: bundlePath, expectedHash: bid.jobHash, maxBytes: context.maxJobBytes, signal })
      transferMetrics(context.registry).bytes.inc({ direction: 'received', kind: 'job' }, fetched.bytes - fetched.resumedFrom)
    } catch (error) {
      const name = (error as Error).name
      if (name === 'BundleHashMismatchError') throw new Declined(DeclineReason.JobHashMismatch, (error as Error).message)
      if (name === 'BundleTooLargeError') throw new Declined(DeclineReason.JobTooLarge, (error as Error).message)
      throw new Declined(DeclineReason.JobUnavailable, (error as Error).message)
    }
  }
  let manifest
  try {
    const files = decodeJobBundle(await readFile(bundlePath))
    manifest = validateJobBundle(files)
    if (!existsSync(context.paths.jobFiles(bid.jobHash))) await writeBundleFolder(context.paths.jobFiles(bid.jobHash), files)
  } catch (error) {
    throw new Declined(DeclineReason.BidInvalid, `job bundle: ${(error as Error).message}`)
  }
  // The bid is what was priced: a manifest asking for more than it would run unpaid.
  const wanted = manifestRequirements(manifest)
  if (JSON.stringify(wanted) !== JSON.stringify(bid.requirements)) throw new Declined(DeclineReason.BidInvalid, 'the job manifest does not match the bid requirements')
  if (!context.runtimes[manifest.runtime]) throw new Declined(DeclineReason.RuntimeUnsupported)
  return { terms, dealId }
}
