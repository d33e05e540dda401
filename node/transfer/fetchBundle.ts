import type { Libp2p, PeerId } from '@libp2p/interface'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Hex } from 'viem'
import { JOB_PROTOCOL, RESULT_PROTOCOL } from '../../protocol/protocols.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { createBundleWriter } from './createBundleWriter.ts'
import { BundleHashMismatchError, BundleTooLargeError, FetchFailedError, TransferIncompleteError } from './errors.ts'

export type FetchBundleParameters = {
  kind: 'job' | 'result'
  peer: PeerId
  /** The job hash (job) or deal id (result) to ask for. */
  id: Hex
  /** Where the finished bundle goes; bytes collect in `<destination>.partial` until the hash checks. */
  destination: string
  expectedHash: Hex
  maxBytes: number
  signal?: AbortSignal
}

/** A peer that cannot be reached in this time is reported, not waited for. */
const dialTimeoutMs = 15_000

export type FetchBundleReturnType = { path: string; bytes: number; resumedFrom: number }

/**
 * Fetches a job or result bundle from a peer into a file, resuming from what an
 * earlier, interrupted fetch left in the partial file. The bundle is moved into
 * place only once its SHA-256 equals `expectedHash`; a mismatch deletes it.
 */
export async function fetchBundle(host: Pick<Libp2p, 'dialProtocol'>, parameters: FetchBundleParameters): Promise<FetchBundleReturnType> {
  const { kind, peer, id, destination, expectedHash, maxBytes, signal } = parameters
  const partial = `${destination}.partial`
  await mkdir(dirname(destination), { recursive: true })
  const resumedFrom = await stat(partial).then((s) => s.size, () => 0)

  const stream = await host.dialProtocol(peer, kind === 'job' ? JOB_PROTOCOL : RESULT_PROTOCOL, { signal: AbortSignal.any([AbortSignal.timeout(dialTimeoutMs), ...(signal ? [signal] : [])]) })
  const ms = messageStream(stream)
  // Hashing and writing run on a worker thread (the hash covers what an earlier
  // fetch left too), so this thread only moves bytes off the stream and the
  // finished file is never read back. Each piece is copied into the writer before
  // the next one is read (the stream may reuse a piece's memory after that).
  const writer = createBundleWriter(partial)
  let received = resumedFrom
  let total: number
  let actual: `0x${string}`
  try {
    await ms.write(kind === 'job' ? { type: 'job-request', body: { jobHash: id, offset: resumedFrom } } : { type: 'result-request', body: { dealId: id, offset: resumedFrom } }, { signal })
    const header = await ms.read([kind === 'job' ? 'job-header' : 'result-header', 'fetch-error'], { signal })
    if (header.type === 'fetch-error') throw new FetchFailedError({ kind, reason: header.body.reason, detail: header.body.detail })
    total = header.body.total
    if (total > maxBytes) throw new BundleTooLargeError({ kind, size: total, maxBytes })
    for await (const piece of ms.readBytes({ signal, limit: total - resumedFrom })) {
      received += piece.byteLength
      await writer.write(piece)
    }
    actual = await writer.finish()
  } catch (error) {
    // What arrived stays in the partial file, so the next fetch resumes after it.
    await writer.finish().catch(() => writer.abort())
    throw error
  } finally {
    stream.close().catch(() => {})
  }
  if (received < total) throw new TransferIncompleteError({ kind, received, total })

  if (actual !== expectedHash.toLowerCase()) {
    await rm(partial, { force: true })
    throw new BundleHashMismatchError({ kind, expected: expectedHash, actual })
  }
  await rename(partial, destination)
  return { path: destination, bytes: received, resumedFrom }
}

/** SHA-256 of a file as 0x-prefixed hex: the content hash of an encoded bundle. */
export async function hashFile(path: string): Promise<Hex> {
  const hash = createHash('sha256')
  for await (const piece of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(piece as Buffer)
  return `0x${hash.digest('hex')}`
}
