import type { Libp2p, PeerId } from '@libp2p/interface'
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { mkdir, open, rename, rm, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import type { Hex } from 'viem'
import { JOB_PROTOCOL, RESULT_PROTOCOL } from '../../protocol/protocols.ts'
import { messageStream } from '../p2p/messageStream.ts'
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

const writeBatchBytes = 1 << 20

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
  // The hash runs over the bytes as they arrive (after the part an earlier fetch left),
  // so the finished file is never read back; writes are gathered into ≥ 1 MiB batches
  // and one batch is written while the next arrives.
  const hash = createHash('sha256')
  if (resumedFrom > 0) for await (const piece of createReadStream(partial, { highWaterMark: 1 << 20 })) hash.update(piece as Buffer)
  const file = await open(partial, 'a')
  let received = resumedFrom
  let total: number
  let batch: Uint8Array[] = []
  let batchBytes = 0
  let writing: Promise<unknown> = Promise.resolve()
  const flush = async () => {
    const pieces = batch
    batch = []
    batchBytes = 0
    await writing
    writing = file.writev(pieces)
  }
  try {
    await ms.write(kind === 'job' ? { type: 'job-request', body: { jobHash: id, offset: resumedFrom } } : { type: 'result-request', body: { dealId: id, offset: resumedFrom } }, { signal })
    const header = await ms.read([kind === 'job' ? 'job-header' : 'result-header', 'fetch-error'], { signal })
    if (header.type === 'fetch-error') throw new FetchFailedError({ kind, reason: header.body.reason, detail: header.body.detail })
    total = header.body.total
    if (total > maxBytes) throw new BundleTooLargeError({ kind, size: total, maxBytes })
    for await (const piece of ms.readBytes({ signal, limit: total - resumedFrom })) {
      hash.update(piece)
      batch.push(piece)
      batchBytes += piece.byteLength
      received += piece.byteLength
      if (batchBytes >= writeBatchBytes) await flush()
    }
    if (batchBytes > 0) await flush()
  } finally {
    await writing.catch(() => {})
    await file.close()
    stream.close().catch(() => {})
  }
  await writing
  if (received < total) throw new TransferIncompleteError({ kind, received, total })

  const actual = `0x${hash.digest('hex')}`
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
