// npm run bench:transfer — the same bytes between two processes on loopback, three ways:
//  (a) result transfer: serveBundle in the sender behind a RESULT_PROTOCOL handler,
//      fetchBundle here (bytes into `<dest>.partial`, SHA-256 of the file, rename);
//  (b) a bare libp2p stream between the same two hosts (createHost: TCP, Noise,
//      Yamux), 64 KiB chunks, sent as libp2p's docs say (`send`, then `onDrain`
//      when it returns false), bytes counted here. In this libp2p `onDrain`
//      resolves at once after the first drain, so the sender in effect queues
//      the whole file: (b) is the stream with no backpressure at all, an
//      upper bound (messageStream waits for the queue to empty instead);
//  (c) a raw TCP socket (node:net), 64 KiB chunks, backpressure respected.
// The sender is bench/transferPeer.ts in a child process; the receiver is this
// process. Each way is timed from the request to its last byte received (for (a):
// to the renamed, hash-checked file). The ways alternate for several rounds after
// a warm-up round; the median round counts. Two diagnostics split (a) apart: the
// same RESULT_PROTOCOL transfer read through messageStream.readBytes into nothing
// (no file, no hash), and hashFile of the bundle alone.
// Prints a table and, as its last line, {"resultMBps","libp2pMBps","tcpMBps","ratioToLibp2p","ratioToTcp",…}.
//
// Options: --mib N (bundle size, default 256), --rounds R (default 3). For profiling
// one way alone: BENCH_WAYS=result (comma-separated; ways left out print as NaN).
import { multiaddr } from '@multiformats/multiaddr'
import { forkPeer, type Peer } from './peerRpc.ts'
import { createHash, randomFillSync } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, open, rm } from 'node:fs/promises'
import { connect } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { peerIdFromString } from '@libp2p/peer-id'
import type { PeerId } from '@libp2p/interface'
import type { Hex } from 'viem'
import { RESULT_PROTOCOL } from '../protocol/protocols.ts'
import { createHost, type P2PHost } from '../node/p2p/createHost.ts'
import { loadPeerKey } from '../node/p2p/identity.ts'
import { messageStream } from '../node/p2p/messageStream.ts'
import { fetchBundle, hashFile } from '../node/transfer/fetchBundle.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({ options: { mib: { type: 'string', default: '256' }, rounds: { type: 'string', default: '3' } } })
const totalBytes = Number(values.mib) * 2 ** 20
const rounds = Number(values.rounds)
const bareProtocol = '/allot-bench/bytes/1.0.0'
const chunkBytes = 64 * 1024
const dealId: Hex = `0x${'ab'.repeat(32)}`
const deadline = AbortSignal.timeout(150_000)

type Way = 'result' | 'resultNoDisk' | 'libp2p' | 'tcp'
type Sample = { ms: number; bytes: number; receiverCpuMs: number; senderCpuMs: number }

function spawnPeer(): Peer {
  // BENCH_CPU_PROF=sender writes a V8 CPU profile of the sender to bench/.profiles/ (the receiver: node --cpu-prof).
  const profile = process.env.BENCH_CPU_PROF === 'sender' ? ['--cpu-prof', '--cpu-prof-dir', join(root, 'bench/.profiles')] : []
  return forkPeer(join(root, 'bench/transferPeer.ts'), { execArgv: profile, name: 'the sender' })
}

/** Random bytes, written in 16 MiB pieces; returns their SHA-256, the hash the fetch must match. */
async function writeBundle(path: string, size: number): Promise<Hex> {
  const hash = createHash('sha256')
  const file = await open(path, 'w')
  try {
    const piece = Buffer.alloc(16 * 2 ** 20)
    for (let written = 0; written < size; written += piece.byteLength) {
      const part = piece.subarray(0, Math.min(piece.byteLength, size - written))
      randomFillSync(part)
      hash.update(part)
      await file.write(part)
    }
  } finally {
    await file.close()
  }
  return `0x${hash.digest('hex')}`
}

const offsetRequest = () => {
  const request = Buffer.alloc(8)
  request.writeBigUInt64BE(0n)
  return request
}

async function viaResult(host: P2PHost, peer: PeerId, expectedHash: Hex, destination: string): Promise<number> {
  const fetched = await fetchBundle(host, { kind: 'result', peer, id: dealId, destination, expectedHash, maxBytes: 2 ** 40, signal: deadline })
  return fetched.bytes
}

async function viaResultNoDisk(host: P2PHost, peer: PeerId): Promise<number> {
  const ms = messageStream(await host.dialProtocol(peer, RESULT_PROTOCOL, { signal: deadline }))
  await ms.write({ type: 'result-request', body: { dealId, offset: 0 } }, { signal: deadline })
  const header = await ms.read(['result-header'], { signal: deadline })
  let received = 0
  for await (const piece of ms.readBytes({ signal: deadline, limit: header.body.total })) received += piece.byteLength
  await ms.close().catch(() => {})
  return received
}

async function viaLibp2p(host: P2PHost, peer: PeerId): Promise<number> {
  const stream = await host.dialProtocol(peer, bareProtocol, { signal: deadline })
  stream.send(offsetRequest())
  let received = 0
  for await (const piece of stream) received += piece.byteLength
  await stream.close().catch(() => {})
  return received
}

async function viaTcp(port: number): Promise<number> {
  const socket = connect(port, '127.0.0.1')
  let received = 0
  socket.on('data', (chunk: Buffer) => (received += chunk.byteLength))
  socket.write(offsetRequest())
  await once(socket, 'end', { signal: deadline })
  socket.destroy()
  return received
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const mbps = (sample: Sample) => sample.bytes / 1e6 / (sample.ms / 1000)

const home = await mkdtemp(join(tmpdir(), 'allot-bench-transfer-'))
const bundlePath = join(home, 'bundle.bin')
const peer = spawnPeer()
let host: P2PHost | undefined
const samples: Record<Way, Sample[]> = { result: [], resultNoDisk: [], libp2p: [], tcp: [] }
const hashMs: number[] = []
try {
  const expectedHash = await writeBundle(bundlePath, totalBytes)
  const started = await peer.call<{ peerId: string; addresses: string[]; tcpPort: number }>('start', { path: bundlePath, root: home, bareProtocol, chunkBytes })
  host = await createHost({ privateKey: await loadPeerKey(join(home, 'receiver-home')), listen: ['/ip4/127.0.0.1/tcp/0'] })
  await host.start()
  const remote = peerIdFromString(started.peerId)
  // One connection for the whole run, opened before any timing: no way pays for the handshake.
  await host.dial(multiaddr(started.addresses[0]!), { signal: deadline })

  const destination = join(home, 'result.bundle')
  const ways: Record<Way, () => Promise<number>> = {
    result: () => viaResult(host!, remote, expectedHash, destination),
    resultNoDisk: () => viaResultNoDisk(host!, remote),
    libp2p: () => viaLibp2p(host!, remote),
    tcp: () => viaTcp(started.tcpPort),
  }
  // Round 0 warms every code path up and is not counted.
  for (let round = 0; round <= rounds; round++) {
    for (const way of (process.env.BENCH_WAYS?.split(',') ?? Object.keys(ways)) as Way[]) {
      const senderBefore = await peer.call<{ userMs: number; systemMs: number }>('cpu')
      const receiverBefore = process.cpuUsage()
      const t0 = performance.now()
      const bytes = await ways[way]()
      const ms = performance.now() - t0
      const receiverCpu = process.cpuUsage(receiverBefore)
      const senderAfter = await peer.call<{ userMs: number; systemMs: number }>('cpu')
      if (bytes !== totalBytes) throw new Error(`${way}: received ${bytes} of ${totalBytes} bytes`)
      // Once, untimed: the file on disk holds the bytes the hash was checked over.
      if (round === 0 && way === 'result' && (await hashFile(destination)) !== expectedHash) throw new Error('result: the fetched file differs from the bytes that were hashed')
      // Deleting the fetched file is not part of the transfer (~17 ms for 256 MiB here).
      await rm(destination, { force: true })
      if (round > 0) samples[way].push({ ms, bytes, receiverCpuMs: (receiverCpu.user + receiverCpu.system) / 1000, senderCpuMs: senderAfter.userMs + senderAfter.systemMs - senderBefore.userMs - senderBefore.systemMs })
    }
    const t0 = performance.now()
    await hashFile(bundlePath)
    if (round > 0) hashMs.push(performance.now() - t0)
  }
} finally {
  await Promise.resolve(host?.stop()).catch(() => {})
  if (peer.child.connected) peer.child.disconnect()
  const killer = setTimeout(() => peer.child.kill('SIGKILL'), 5_000)
  if (peer.child.exitCode === null && peer.child.signalCode === null) await once(peer.child, 'exit')
  clearTimeout(killer)
  await rm(home, { recursive: true, force: true })
}

const summary = (way: Way) => {
  const list = samples[way].length > 0 ? samples[way] : [{ ms: Number.NaN, bytes: 0, receiverCpuMs: Number.NaN, senderCpuMs: Number.NaN }]
  const ms = median(list.map((sample) => sample.ms))
  return {
    mbps: totalBytes / 1e6 / (ms / 1000),
    ms,
    best: Math.max(...list.map(mbps)),
    worst: Math.min(...list.map(mbps)),
    receiverCpuMsPerMB: median(list.map((sample) => sample.receiverCpuMs)) / (totalBytes / 1e6),
    senderCpuMsPerMB: median(list.map((sample) => sample.senderCpuMs)) / (totalBytes / 1e6),
  }
}
const result = summary('result')
const resultNoDisk = summary('resultNoDisk')
const libp2p = summary('libp2p')
const tcp = summary('tcp')
const hashMedianMs = median(hashMs)
const hashMBps = totalBytes / 1e6 / (hashMedianMs / 1000)

const rows: Array<[string, ReturnType<typeof summary>]> = [
  ['(a) result transfer (fetchBundle: disk + SHA-256)', result],
  ['(b) bare libp2p stream, 64 KiB chunks', libp2p],
  ['(c) raw TCP socket, 64 KiB chunks', tcp],
  ['    diagnostic: (a) into memory, no disk, no hash', resultNoDisk],
]
console.log(`Transfer: ${values.mib} MiB (${(totalBytes / 1e6).toFixed(1)} MB) between two processes on loopback, median of ${rounds} rounds after a warm-up; load average ${loadavg()[0]!.toFixed(2)}`)
console.log(`  ${''.padEnd(50)}  ${'MB/s'.padStart(7)}  ${'ms'.padStart(7)}  ${'range MB/s'.padStart(13)}  ${'CPU ms/MB recv'.padStart(14)}  ${'send'.padStart(6)}`)
for (const [label, way] of rows) {
  console.log(
    `  ${label.padEnd(50)}  ${way.mbps.toFixed(0).padStart(7)}  ${way.ms.toFixed(0).padStart(7)}  ${`${way.worst.toFixed(0)}–${way.best.toFixed(0)}`.padStart(13)}  ${way.receiverCpuMsPerMB.toFixed(2).padStart(14)}  ${way.senderCpuMsPerMB.toFixed(2).padStart(6)}`,
  )
}
console.log(`    diagnostic: hashFile of the bundle alone (page cache)    ${hashMBps.toFixed(0).padStart(7)}  ${hashMedianMs.toFixed(0).padStart(7)}`)
console.log(`  (a) / (b) = ${(result.mbps / libp2p.mbps).toFixed(3)}   (a) / (c) = ${(result.mbps / tcp.mbps).toFixed(3)}   (b) / (c) = ${(libp2p.mbps / tcp.mbps).toFixed(3)}`)
console.log(
  JSON.stringify({
    resultMBps: Number(result.mbps.toFixed(1)),
    libp2pMBps: Number(libp2p.mbps.toFixed(1)),
    tcpMBps: Number(tcp.mbps.toFixed(1)),
    ratioToLibp2p: Number((result.mbps / libp2p.mbps).toFixed(3)),
    ratioToTcp: Number((result.mbps / tcp.mbps).toFixed(3)),
    resultNoDiskMBps: Number(resultNoDisk.mbps.toFixed(1)),
    hashMBps: Number(hashMBps.toFixed(1)),
    mib: Number(values.mib),
    rounds,
  }),
)
