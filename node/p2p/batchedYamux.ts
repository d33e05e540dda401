import { yamux } from '@chainsafe/libp2p-yamux'
import { StreamState, type YamuxStream } from '@chainsafe/libp2p-yamux/stream'
import type { StreamMuxerFactory } from '@libp2p/interface'

export type BatchedYamuxInit = Parameters<typeof yamux>[0]

/** The parts of js-yamux's muxer and stream this wrapper reaches into (not in their public types). */
type StreamFactory = { _newStream: (...args: unknown[]) => YamuxStream }
type WindowedStream = { state: StreamState; recvWindow: number; recvWindowCapacity: number; sendWindowUpdate: () => void }

/**
 * Yamux whose streams return receive-window credit in batches: a window update
 * goes out once at least half the window is spent, as go-yamux and the spec's
 * reference implementation do, instead of after every data frame.
 *
 * js-yamux answers each frame it receives with a 12-byte window update, which
 * Noise encrypts and the socket writes on its own: on a gossip stream that is
 * one extra encrypted write per message received, duplicates included, and in
 * `bench:gossip` it cost about as much CPU as a tenth of the node's whole
 * per-message work. Updates that carry flags (opening a stream, acknowledging
 * one) and those of a paused or closing stream still go out as before, so flow
 * control is unchanged: the sender always has at least half a window left.
 *
 * @param init - js-yamux's options.
 * @returns A stream muxer factory for `streamMuxers`.
 * @example
 * createLibp2p({ streamMuxers: [batchedYamux()], … })
 */
export function batchedYamux(init?: BatchedYamuxInit): () => StreamMuxerFactory {
  const create = yamux(init)
  return () => {
    const factory = create()
    const createStreamMuxer = factory.createStreamMuxer.bind(factory)
    factory.createStreamMuxer = (connection) => {
      const muxer = createStreamMuxer(connection)
      const streams = muxer as unknown as StreamFactory
      const newStream = streams._newStream.bind(muxer)
      streams._newStream = (...args) => batchWindowUpdates(newStream(...args))
      return muxer
    }
    return factory
  }
}

function batchWindowUpdates(created: YamuxStream): YamuxStream {
  const stream = created as unknown as WindowedStream
  const sendWindowUpdate = stream.sendWindowUpdate.bind(created)
  stream.sendWindowUpdate = () => {
    const open = stream.state === StreamState.Established || stream.state === StreamState.SYNSent
    if (open && 2 * stream.recvWindowCapacity > stream.recvWindow) return
    sendWindowUpdate()
  }
  return created
}
