// The sending side of `npm run bench:transfer`, in its own OS process, driven over
// IPC by bench/transfer.ts. It serves one file three ways:
//  (a) RESULT_PROTOCOL through serveBundle, as a provider serves a result bundle;
//  (b) a bare libp2p stream on the same host: the file's bytes from memory in
//      64 KiB chunks, waiting on `onDrain` whenever `send` says so (which in this
//      libp2p stops waiting after the first drain: see bench/transfer.ts);
//  (c) a raw TCP socket: the same bytes, the same chunks, waiting for 'drain'.
// (b) and (c) answer an 8-byte request (the offset to start from), so each way is
// timed from a request the receiver sends to its last byte received.
import { servePeer } from './peerRpc.ts'
import type { Stream } from '@libp2p/interface'
import { once } from 'node:events'
import { readFile, rm } from 'node:fs/promises'
import { createServer, type Server, type Socket } from 'node:net'
import { join } from 'node:path'
import { RESULT_PROTOCOL } from '../protocol/protocols.ts'
import { createHost, type P2PHost } from '../node/p2p/createHost.ts'
import { loadPeerKey } from '../node/p2p/identity.ts'
import { messageStream } from '../node/p2p/messageStream.ts'
import { serveBundle } from '../node/transfer/serveBundle.ts'

type StartArgument = { path: string; root: string; bareProtocol: string; chunkBytes: number }

let host: P2PHost | undefined
let server: Server | undefined
let home: string | undefined
let bytes: Uint8Array = new Uint8Array(0)
let chunkBytes = 64 * 1024
const sockets = new Set<Socket>()

/** Reads the 8-byte offset a receiver of way (b) sends first. */
async function readOffset(stream: Stream): Promise<number> {
  const request: Uint8Array[] = []
  let length = 0
  for await (const piece of stream) {
    const chunk = piece instanceof Uint8Array ? piece : piece.subarray()
    request.push(chunk)
    length += chunk.byteLength
    if (length >= 8) break
  }
  return Number(Buffer.concat(request).readBigUInt64BE(0))
}

async function sendBare(stream: Stream) {
  try {
    const offset = await readOffset(stream)
    for (let position = offset; position < bytes.byteLength; position += chunkBytes) {
      if (!stream.send(bytes.subarray(position, Math.min(position + chunkBytes, bytes.byteLength)))) await stream.onDrain()
    }
    await stream.close()
  } catch (error) {
    stream.abort(error as Error)
  }
}

async function serveResult(path: string, stream: Stream) {
  const ms = messageStream(stream)
  try {
    const { body } = await ms.read(['result-request'])
    await serveBundle(ms, { kind: 'result', path, offset: body.offset })
  } catch (error) {
    stream.abort(error as Error)
  }
}

function sendSocket(socket: Socket) {
  sockets.add(socket)
  socket.once('close', () => sockets.delete(socket))
  socket.once('error', () => socket.destroy())
  let request = Buffer.alloc(0)
  const onData = async (chunk: Buffer) => {
    request = Buffer.concat([request, chunk])
    if (request.byteLength < 8) return
    socket.off('data', onData)
    const offset = Number(request.readBigUInt64BE(0))
    for (let position = offset; position < bytes.byteLength; position += chunkBytes) {
      if (!socket.write(bytes.subarray(position, Math.min(position + chunkBytes, bytes.byteLength)))) await once(socket, 'drain')
    }
    socket.end()
  }
  socket.on('data', onData)
}

async function start({ path, root, bareProtocol, chunkBytes: chunk }: StartArgument) {
  bytes = new Uint8Array(await readFile(path))
  chunkBytes = chunk
  home = join(root, 'sender-home')
  host = await createHost({ privateKey: await loadPeerKey(home), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await host.start()
  await host.handle(RESULT_PROTOCOL, (stream) => serveResult(path, stream))
  await host.handle(bareProtocol, (stream) => sendBare(stream))
  server = createServer(sendSocket)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  return {
    peerId: host.peerId.toString(),
    addresses: host.getMultiaddrs().map((multiaddr) => multiaddr.toString()),
    tcpPort: typeof address === 'object' && address ? address.port : 0,
  }
}

async function cpu() {
  const usage = process.cpuUsage()
  return { userMs: usage.user / 1000, systemMs: usage.system / 1000 }
}

async function stop() {
  for (const socket of sockets) socket.destroy()
  server?.close()
  await host?.stop()
  if (home) await rm(home, { recursive: true, force: true })
  host = undefined
  server = undefined
}

servePeer({ start, cpu, stop }, stop)
