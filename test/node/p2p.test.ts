import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHost, type P2PHost } from '../../node/p2p/createHost.ts'
import { loadPeerKey } from '../../node/p2p/identity.ts'
import { messageStream } from '../../node/p2p/messageStream.ts'

let home: string
const hosts: P2PHost[] = []
test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'allot-p2p-'))
})
/** A started host on loopback, stopped after the last test. */
async function start(name: string, bootstrap: string[] = []) {
  const host = await createHost({ privateKey: await loadPeerKey(join(home, name)), listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap })
  await host.start()
  hosts.push(host)
  return host
}

test.after(async () => {
  await Promise.all(hosts.map((host) => host.stop()))
  await rm(home, { recursive: true, force: true })
})

test('a node keeps its peer id across restarts from the same home', async () => {
  const first = await loadPeerKey(join(home, 'a'))
  const second = await loadPeerKey(join(home, 'a'))
  assert.ok(first.equals(second))
  assert.not.ok(first.equals(await loadPeerKey(join(home, 'b'))))
})

test('three hosts join through a bootstrap peer and gossip a message', async () => {
  const seed = await start('seed')
  const seedAddress = seed.getMultiaddrs()[0]!.toString()
  const [a, b] = await Promise.all([start('a', [seedAddress]), start('b', [seedAddress])])
  const topic = 'allot-test'
  for (const host of [seed, a, b]) host.services.pubsub.subscribe(topic)
  const received = new Promise<string>((resolve) =>
    b.services.pubsub.addEventListener('message', (event) => resolve(new TextDecoder().decode(event.detail.data))),
  )
  const deadline = Date.now() + 10_000
  while (a.services.pubsub.getSubscribers(topic).length === 0 || b.services.pubsub.getSubscribers(topic).length === 0) {
    if (Date.now() > deadline) throw new Error('subscriptions never propagated')
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  // A message published before the seed has b in its mesh is not forwarded; publish
  // again until it arrives rather than wait forever on a mesh that forms at a heartbeat.
  let arrived: string | undefined
  void received.then((text) => (arrived = text))
  // Each attempt differs: message ids are content hashes, so a repeat would be dropped as a duplicate.
  for (let attempt = 0, deadline = Date.now() + 15_000; arrived === undefined; attempt++, await new Promise((resolve) => setTimeout(resolve, 500))) {
    if (Date.now() > deadline) throw new Error('the message never reached b')
    await a.services.pubsub.publish(topic, new TextEncoder().encode(`hello ${attempt}`)).catch(() => {})
  }
  assert.match(arrived!, /^hello \d+$/)
})

test('a stream carries many small messages past its receive window, returning the credit in a few batched window updates', async () => {
  const [sender, receiver] = await Promise.all([start('window-sender'), start('window-receiver')])
  const protocol = '/allot-test/window/1.0.0'
  const messages = 2_000
  const size = 600
  let windowUpdates = 0
  const received = new Promise<number>((resolve, reject) => {
    void receiver.handle(protocol, async (stream) => {
      // Count the window updates this end sends (yamux frame type 1 without flags) while it reads.
      const frames = stream as unknown as { sendFrame: (header: { type: number; flag: number }, data?: unknown) => boolean }
      const sendFrame = frames.sendFrame
      frames.sendFrame = (header, data) => {
        if (header.type === 1 && header.flag === 0) windowUpdates++
        return sendFrame(header, data)
      }
      let bytes = 0
      try {
        for await (const chunk of stream) bytes += chunk.byteLength
        resolve(bytes)
      } catch (error) {
        reject(error)
      }
    })
  })
  const stream = await sender.dialProtocol(receiver.getMultiaddrs()[0]!, protocol)
  const message = new Uint8Array(size).fill(7)
  for (let index = 0; index < messages; index++) if (!stream.send(message)) await stream.onDrain()
  await stream.close()
  // 1.2 MB through a 256 KiB window: without updates the sender would stall after a fifth of it.
  assert.is(await received, messages * size)
  assert.ok(windowUpdates > 0 && windowUpdates < 50, `${windowUpdates} window updates for ${messages} messages`)
})

test('a bulk writer whose reader stops reading waits, with at most one write queued, and finishes once it reads again', async () => {
  const [sender, receiver] = await Promise.all([start('bulk-sender'), start('bulk-receiver')])
  const protocol = '/allot-test/bulk/1.0.0'
  const block = new Uint8Array(1 << 20).fill(9)
  const blocks = 64
  let paused!: () => void
  const readerPaused = new Promise<void>((resolve) => (paused = resolve))
  let resume!: () => void
  const readerResumed = new Promise<void>((resolve) => (resume = resolve))
  const received = new Promise<number>((resolve, reject) => {
    void receiver.handle(protocol, async (stream) => {
      // Whatever is in flight when the reader pauses waits in its buffer, not an abort.
      stream.maxReadBufferLength = 2 * blocks * block.byteLength
      let bytes = 0
      try {
        for await (const chunk of stream) {
          bytes += chunk.byteLength
          // A few blocks in (the window has grown and drained many times), the reader stops.
          if (bytes >= 4 * block.byteLength && bytes - chunk.byteLength < 4 * block.byteLength) {
            stream.pause()
            paused()
            await readerResumed
            stream.resume()
          }
        }
        resolve(bytes)
      } catch (error) {
        reject(error)
      }
    })
  })
  const ms = messageStream(await sender.dialProtocol(receiver.getMultiaddrs()[0]!, protocol))
  let written = 0
  const writing = (async () => {
    for (let index = 0; index < blocks; index++, written++) await ms.writeBytes(block)
    await ms.close()
  })()
  writing.catch(() => {})
  await readerPaused
  await new Promise((resolve) => setTimeout(resolve, 1_000))
  // What left is bounded by the receive window (16 MiB at most) and the socket buffers, not by what the writer has.
  assert.ok(written < blocks / 2, `${written} of ${blocks} blocks written while the reader read nothing`)
  assert.ok(ms.stream.writeBufferLength <= block.byteLength, `${ms.stream.writeBufferLength} bytes queued in the sender`)
  resume()
  await writing
  assert.is(await received, blocks * block.byteLength)
})

test.run()
