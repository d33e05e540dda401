import { open } from 'node:fs/promises'
import { FetchErrorReason } from '../../protocol/types/messages.ts'
import type { MessageStream } from '../p2p/messageStream.ts'

const pieceBytes = 256 * 1024

export type ServeBundleParameters = {
  kind: 'job' | 'result'
  /** The finished bundle file; never a partial one. */
  path: string
  offset: number
  signal?: AbortSignal
}

/**
 * Answers a job or result request: a header, then the bundle's bytes from
 * `offset` read straight from disk, then closes the stream.
 */
export async function serveBundle(ms: MessageStream, { kind, path, offset, signal }: ServeBundleParameters): Promise<void> {
  const file = await open(path, 'r')
  try {
    const { size } = await file.stat()
    if (offset > size) {
      await ms.write({ type: 'fetch-error', body: { reason: FetchErrorReason.BadOffset, detail: `offset ${offset} > size ${size}` } }, { signal })
      return
    }
    await ms.write({ type: kind === 'job' ? 'job-header' : 'result-header', body: { offset, total: size } }, { signal })
    let position = offset
    while (position < size) {
      const buffer = new Uint8Array(Math.min(pieceBytes, size - position))
      const { bytesRead } = await file.read(buffer, 0, buffer.length, position)
      if (bytesRead === 0) break
      await ms.writeBytes(buffer.subarray(0, bytesRead), { signal })
      position += bytesRead
    }
  } finally {
    await file.close()
    await ms.close({ signal }).catch(() => {})
  }
}
