import { peerIdFromString } from '@libp2p/peer-id'
import { readFile } from 'node:fs/promises'
import { parseEventLogs, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { decodeResultBundle } from '../../protocol/job/decodeResultBundle.ts'
import { LOGS_PROTOCOL } from '../../protocol/protocols.ts'
import type { LogEntry } from '../../protocol/types/messages.ts'
import { getDeal } from '../chain/actions/readMarket.ts'
import { settle } from '../chain/actions/settle.ts'
import { multiaddr } from '@multiformats/multiaddr'
import { deadlinePassed } from '../chain/chainNow.ts'
import type { ChainClients } from '../chain/clients.ts'
import type { Deployment } from '../chain/deployment.ts'
import type { P2PHost } from '../p2p/createHost.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { fetchBundle } from '../transfer/fetchBundle.ts'
import { saveClientDeal, type ClientDeal } from './clientDeals.ts'
import { ResultTimeoutError } from './errors.ts'
import type { JobProgress } from './submitJob.ts'
import { writeResultFolder } from './writeResultFolder.ts'

export type CollectResultParameters = {
  home: string
  deal: ClientDeal
  settle?: boolean | undefined
  onProgress?: (progress: JobProgress) => void
  signal?: AbortSignal | undefined
}

/**
 * Finishes an opened deal as its client: follows the logs while the job runs,
 * waits for the committed result hash, fetches the result bundle from the
 * provider, checks it against that hash, writes the result folder and settles.
 *
 * @throws ResultTimeoutError when the deadline passes with no result: the deal is then liquidatable.
 */
export async function collectResult(
  { host, clients, deployment }: { host: P2PHost; clients: ChainClients; deployment: Deployment },
  { home, deal: opened, onProgress, signal, ...parameters }: CollectResultParameters,
): Promise<{ deal: ClientDeal; exitCode: number }> {
  const progress = onProgress ?? (() => {})
  return follow(opened)

  async function follow(deal: ClientDeal): Promise<{ deal: ClientDeal; exitCode: number }> {
    const provider = peerIdFromString(deal.providerPeer)
    // The addresses remembered from the negotiation: no --bootstrap needed to find the provider again.
    const known = (deal.providerAddresses ?? []).flatMap((address) => {
      try {
        return [multiaddr(address)]
      } catch {
        return []
      }
    })
    if (known.length > 0) await host.peerStore.merge(provider, { multiaddrs: known }).catch(() => {})
    const stopLogs = new AbortController()
    try {
      return await finish(deal, provider, stopLogs)
    } finally {
      // Whatever ends the wait (a result, a default, a dead chain), the log stream ends with it.
      stopLogs.abort()
    }
  }

  async function finish(deal: ClientDeal, provider: ReturnType<typeof peerIdFromString>, stopLogs: AbortController): Promise<{ deal: ClientDeal; exitCode: number }> {
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
      if ((await deadlinePassed(clients, deal.terms.deadline)).passed) {
        await saveClientDeal(home, { ...deal, state: 'defaulted' })
        throw new ResultTimeoutError({ dealId: deal.dealId, deadline: deal.terms.deadline })
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
    const events = await clients.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'ResultCommitted', args: { dealId: deal.dealId }, fromBlock: deployment.deploymentBlock === 0 ? 0n : BigInt(deployment.deploymentBlock) })
    const [committed] = parseEventLogs({ abi: allotMarketAbi, eventName: 'ResultCommitted', logs: events })
    return committed!.args.resultHash
  }

  async function followLogs(dealId: Hex, provider: ReturnType<typeof peerIdFromString>, logSignal: AbortSignal, onEntry: (entry: LogEntry) => Promise<void>) {
    let next = 0
    while (!logSignal.aborted) {
      let ms: ReturnType<typeof messageStream> | undefined
      try {
        ms = messageStream(await host.dialProtocol(provider, LOGS_PROTOCOL, { signal: logSignal }))
        await ms.write({ type: 'logs-request', body: { dealId, from: next } }, { signal: logSignal })
        while (true) {
          const message = await ms.read(['log-entry', 'fetch-error'], { signal: logSignal })
          if (message.type === 'fetch-error') break
          next = message.body.seq + 1
          await onEntry(message.body)
        }
      } catch {
        // The provider closes the stream when the job ends or before it starts; ask again shortly.
      } finally {
        // Each attempt's stream is closed, or they pile up for the connection's life.
        ms?.stream.abort(new Error('logs attempt over'))
      }
      await new Promise((resolve) => setTimeout(resolve, 150))
    }
  }
}
