import type { Stream } from '@libp2p/interface'
import { Uint8ArrayList } from 'uint8arraylist'
import { decodeMessage } from '../../protocol/codec/decodeMessage.ts'
import { encodeMessage } from '../../protocol/codec/encodeMessage.ts'
import { decodeFrame, encodeFrame } from '../../protocol/codec/frame.ts'
import type { Message, MessageType } from '../../protocol/types/messages.ts'
import { StreamClosedError, StreamClosedWhileSendingError } from './errors.ts'

type Options = { signal?: AbortSignal }

/**
 * Framed protocol messages and raw bytes over one libp2p 3 stream.
 *
 * Requests and small answers are length-prefixed messages (`docs/protocol.md`);
 * bulk data (job and result bundles) follows a header message as raw bytes, so a
 * transfer pays for no per-chunk encoding.
 */
export type MessageStream = {
  stream: Stream
  /** Sends one message; when the stream cannot take it all now, waits until it has sent what it holds. */
  write: <type extends MessageType>(message: Message<type>, options?: Options) => Promise<void>
  /** Sends raw bytes, waiting as `write` does: a sender keeps at most one write queued on the stream. */
  writeBytes: (bytes: Uint8Array, options?: Options) => Promise<void>
  /** Reads the next message; only types in `accept` are taken, anything else is an error. */
  read: <type extends MessageType>(accept: readonly type[], options?: Options) => Promise<Message<type>>
  /** Reads raw bytes until the remote closes its side (or `limit` bytes), in arrival-sized pieces. */
  readBytes: (options?: Options & { limit?: number }) => AsyncGenerator<Uint8Array>
  /** Closes our side for writing and waits for the remote to finish. */
  close: (options?: Options) => Promise<void>
}

/** Wraps a libp2p stream. */
export function messageStream(stream: Stream): MessageStream {
  const buffer = new Uint8ArrayList()
  const iterator = stream[Symbol.asyncIterator]()

  const pull = async (signal?: AbortSignal): Promise<boolean> => {
    signal?.throwIfAborted()
    let onAbort: (() => void) | undefined
    const next = signal
      ? await Promise.race([
          iterator.next(),
          new Promise<never>((_, reject) => signal.addEventListener('abort', (onAbort = () => reject(signal.reason)), { once: true })),
        ]).finally(() => signal.removeEventListener('abort', onAbort!))
      : await iterator.next()
    if (next.done) return false
    buffer.append(next.value as Uint8Array)
    return true
  }

  const send = async (bytes: Uint8Array, signal?: AbortSignal) => {
    if (!stream.send(bytes) && stream.writeBufferLength > 0) await sent(stream, signal)
  }

  return {
    stream,
    write: (message, options = {}) => send(encodeFrame(encodeMessage(message)), options.signal),
    writeBytes: (bytes, options = {}) => send(bytes, options.signal),
    read: async (accept, options = {}) => {
      while (true) {
        const frame = decodeFrame(buffer.subarray())
        if (frame) {
          buffer.consume(frame.bytesRead)
          return decodeMessage(frame.message, { accept }) as never
        }
        if (!(await pull(options.signal))) throw new StreamClosedError({ expected: accept.join(' or ') })
      }
    },
    readBytes: async function* ({ signal, limit = Number.POSITIVE_INFINITY } = {}) {
      let read = 0
      // Bytes that arrived behind the last message go first.
      if (buffer.byteLength > 0) {
        const take = Math.min(buffer.byteLength, limit)
        const piece = buffer.subarray(0, take)
        buffer.consume(take)
        read += take
        yield piece
      }
      // Then pieces pass straight through as they arrive: no copy into a buffer, and
      // a piece that arrives as a list of decrypted frames is walked frame by frame
      // (its `subarray()` would concatenate them into a fresh copy). An abort aborts
      // the stream, which ends the iteration: no race against the signal per piece.
      const onAbort = () => stream.abort(signal!.reason)
      signal?.throwIfAborted()
      signal?.addEventListener('abort', onAbort, { once: true })
      try {
        while (read < limit) {
          const next = await iterator.next()
          if (next.done) return
          for (const chunk of next.value instanceof Uint8Array ? [next.value] : next.value) {
            if (read + chunk.byteLength > limit) {
              const take = limit - read
              buffer.append(chunk.subarray(take))
              read = limit
              yield chunk.subarray(0, take)
            } else if (read < limit) {
              read += chunk.byteLength
              yield chunk
            } else buffer.append(chunk)
          }
        }
      } catch (error) {
        throw signal?.aborted ? signal.reason : error
      } finally {
        signal?.removeEventListener('abort', onAbort)
      }
    },
    close: (options = {}) => stream.close(options),
  }
}

/**
 * Resolves once the stream has handed everything queued on it to the connection.
 *
 * Not `stream.onDrain()`: in this libp2p its promise is made once and never
 * renewed, so after the first drain it resolves at once, and a sender that trusts
 * it queues all it has (a 256 MiB bundle sat in the sender's memory while it
 * trickled out). Waiting for the queue to empty keeps at most one write queued.
 */
function sent(stream: Stream, signal?: AbortSignal): Promise<void> {
  signal?.throwIfAborted()
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown) => {
      stream.removeEventListener('idle', onIdle)
      stream.removeEventListener('close', onClose)
      signal?.removeEventListener('abort', onAbort)
      if (error === undefined) resolve()
      else reject(error)
    }
    // An abort empties the queue too (dropping it): that is no success.
    const onIdle = () => settle(stream.status === 'aborted' || stream.status === 'reset' ? new StreamClosedWhileSendingError() : undefined)
    const onClose = (event: Event) => settle(new StreamClosedWhileSendingError({ cause: (event as Event & { error?: Error }).error }))
    const onAbort = () => settle(signal!.reason)
    stream.addEventListener('idle', onIdle)
    stream.addEventListener('close', onClose)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
