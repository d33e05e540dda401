import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import type { ConnectionEncrypter, Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { Socket } from 'node:net'
import { createLibp2p } from 'libp2p'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { coalescedNoise } from '../../node/p2p/coalescedNoise.ts'

const PROTOCOL = '/allot-test/frames/1'
const MESSAGES = 40

/** Two nodes with `encrypter`; one sends MESSAGES frames of 700 bytes to the other. Returns what arrived and the socket writes it took. */
async function sendFrames(encrypter: () => (components: never) => ConnectionEncrypter) {
  const node = () =>
    createLibp2p({ addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] }, transports: [tcp()], connectionEncrypters: [encrypter() as never], streamMuxers: [yamux()] })
  const [sender, receiver] = (await Promise.all([node(), node()])) as Libp2p[]
  const received: number[] = []
  let arrived = () => {}
  const done = new Promise<void>((resolve) => (arrived = resolve))
  await receiver!.handle(PROTOCOL, (stream) => {
    stream.addEventListener('message', (event) => {
      for (const byte of event.data.subarray()) received.push(byte)
      if (received.length === MESSAGES * 700) arrived()
    })
  })
  try {
    const stream = await sender!.dialProtocol(receiver!.getMultiaddrs()[0]!, PROTOCOL)
    const write = Socket.prototype.write
    let writes = 0
    Socket.prototype.write = function (this: Socket, ...args: Parameters<Socket['write']>) {
      writes++
      return write.apply(this, args)
    } as Socket['write']
    try {
      for (let index = 0; index < MESSAGES; index++) {
        stream.send(new Uint8Array(700).fill(index))
        // One frame at a time: each send leaves before the next.
        await new Promise((resolve) => setImmediate(resolve))
      }
      await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`${received.length} bytes arrived`)), 10_000))])
    } finally {
      Socket.prototype.write = write
    }
    return { received, writes }
  } finally {
    await Promise.all([sender!.stop(), receiver!.stop()])
  }
}

test('coalesced Noise sends each encrypted frame in one socket write, half of what js-noise takes, and the bytes arrive intact', async () => {
  const plain = await sendFrames(() => noise())
  const joined = await sendFrames(() => coalescedNoise())
  const expected = Array.from({ length: MESSAGES }, (_, index) => Array(700).fill(index)).flat()
  assert.equal(joined.received, expected)
  assert.equal(plain.received, expected)
  // Data frames plus yamux's window updates; js-noise writes each as a length and a ciphertext.
  assert.ok(plain.writes >= 2 * MESSAGES, `js-noise: ${plain.writes} writes`)
  assert.ok(joined.writes <= plain.writes / 2 + 2, `coalesced: ${joined.writes} writes, js-noise ${plain.writes}`)
  assert.ok(joined.writes >= MESSAGES, `coalesced: ${joined.writes} writes`)
})

test.run()
