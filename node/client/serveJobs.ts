import type { Libp2p } from '@libp2p/interface'
import type { Hex } from 'viem'
import { JOB_PROTOCOL } from '../../protocol/protocols.ts'
import { FetchErrorReason } from '../../protocol/types/messages.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { serveBundle } from '../transfer/serveBundle.ts'

export type JobServer = {
  /** Offers a job bundle file to the given providers' peers only. */
  offer: (jobHash: Hex, path: string, peers: string[]) => void
  allow: (jobHash: Hex, peer: string) => void
  stop: () => Promise<void>
}

/**
 * Serves the client's job bundles on `/allot/job/1.0.0`, each only to the peers
 * it was proposed to: a provider fetches the job during negotiation, before it
 * signs anything.
 */
export async function serveJobs(host: Pick<Libp2p, 'handle' | 'unhandle'>, { signal }: { signal?: AbortSignal } = {}): Promise<JobServer> {
  const jobs = new Map<string, { path: string; peers: Set<string> }>()
  await host.handle(JOB_PROTOCOL, async (stream, connection) => {
    const ms = messageStream(stream)
    try {
      const { body } = await ms.read(['job-request'], { signal })
      const job = jobs.get(body.jobHash.toLowerCase())
      if (!job) return await ms.write({ type: 'fetch-error', body: { reason: FetchErrorReason.NotFound } })
      if (!job.peers.has(connection.remotePeer.toString())) return await ms.write({ type: 'fetch-error', body: { reason: FetchErrorReason.NotAuthorized } })
      await serveBundle(ms, { kind: 'job', path: job.path, offset: body.offset, signal })
    } catch (error) {
      stream.abort(error as Error)
    } finally {
      await ms.close().catch(() => {})
    }
  })
  return {
    offer: (jobHash, path, peers) => jobs.set(jobHash.toLowerCase(), { path, peers: new Set(peers) }),
    allow: (jobHash, peer) => jobs.get(jobHash.toLowerCase())?.peers.add(peer),
    stop: () => host.unhandle(JOB_PROTOCOL),
  }
}
