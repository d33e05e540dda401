import { open } from 'node:fs/promises'
import { FetchErrorReason } from '../../protocol/types/messages.ts'
import type { MessageStream } from '../p2p/messageStream.ts'

// Read from disk in large blocks (few calls), each handed to the stream whole: the
// muxer cuts it into frames itself, so one send and one wait per block, not per frame.
const blockBytes = 1024 * 1024

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
    // The next block is read from disk while the current one is sent.
    const readBlock = (position: number) => {
      const buffer = Buffer.allocUnsafe(Math.min(blockBytes, size - position))
      return file.read(buffer, 0, buffer.length, position).then(({ bytesRead }) => buffer.subarray(0, bytesRead))
    }
    let position = offset
    let next = position < size ? readBlock(position) : undefined
    while (next) {
      const block = await next
      if (block.byteLength === 0) break
      position += block.byteLength
      next = position < size ? readBlock(position) : undefined
      await ms.writeBytes(block, { signal })
    }
    await next?.catch(() => {})
  } finally {
    await file.close()
    await ms.close({ signal }).catch(() => {})
  }
}
