import { randomBytes, createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Hex } from 'viem'
import { RESULT_PROTOCOL } from '../../protocol/protocols.ts'
import { serveJobs } from '../../node/client/serveJobs.ts'
import type { P2PHost } from '../../node/p2p/createHost.ts'
import { messageStream } from '../../node/p2p/messageStream.ts'
import { fetchBundle } from '../../node/transfer/fetchBundle.ts'
import { serveBundle } from '../../node/transfer/serveBundle.ts'
import { startHost } from '../helpers/nodes.ts'

let dir: string
let server: P2PHost
let client: P2PHost
let bundle: string
let bytes: Buffer
let hash: Hex
// What the server's result handler does with the next request.
let behaviour: 'serve' | 'half' | 'corrupt' | 'stall' = 'serve'
/** The file a 'serve' answers with. */
let served: string
/** Lets a stalled provider go at the end of its test. */
let releaseStalled = () => {}

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allot-transfer-'))
  bytes = randomBytes(3 * 1024 * 1024 + 17)
  hash = `0x${createHash('sha256').update(bytes).digest('hex')}`
  bundle = join(dir, 'result.bundle')
  served = bundle
  await writeFile(bundle, bytes)
  await writeFile(join(dir, 'corrupt.bundle'), Buffer.concat([bytes.subarray(0, 1000), Buffer.from([bytes[1000]! ^ 0xff]), bytes.subarray(1001)]))
  server = await startHost(join(dir, 'server'))
  client = await startHost(join(dir, 'client'), [server.getMultiaddrs()[0]!.toString()])
  await server.handle(RESULT_PROTOCOL, async (stream) => {
    const ms = messageStream(stream)
    const { body } = await ms.read(['result-request'])
    if (behaviour === 'half') {
      // A provider that dies halfway: the header, half the bytes, then the stream is cut.
      await ms.write({ type: 'result-header', body: { offset: body.offset, total: bytes.length } })
      await ms.writeBytes(bytes.subarray(body.offset, bytes.length / 2))
      stream.abort(new Error('provider went away'))
      return
    }
    if (behaviour === 'stall') {
      // A provider that sends half the bytes, then nothing, without closing.
      await ms.write({ type: 'result-header', body: { offset: body.offset, total: bytes.length } })
      await ms.writeBytes(bytes.subarray(body.offset, bytes.length / 2))
      await new Promise<void>((resolve) => (releaseStalled = resolve))
      return
    }
    await serveBundle(ms, { kind: 'result', path: behaviour === 'corrupt' ? join(dir, 'corrupt.bundle') : served, offset: body.offset })
  })
})

test.after(async () => {
  await client.stop()
  await server.stop()
  await rm(dir, { recursive: true, force: true })
})

const fetch = (destination: string, maxBytes = 64 * 1024 * 1024, signal?: AbortSignal) =>
  fetchBundle(client, { kind: 'result', peer: server.peerId, id: `0x${'ab'.repeat(32)}`, destination, expectedHash: hash, maxBytes, signal })

test('a result bundle arrives whole and hash-checked', async () => {
  behaviour = 'serve'
  const destination = join(dir, 'out', 'whole.bundle')
  const result = await fetch(destination)
  assert.is(result.bytes, bytes.length)
  assert.is(result.resumedFrom, 0)
  assert.ok((await readFile(destination)).equals(bytes))
})

test('bundles larger than the writer holds at once arrive whole, two at a time', async () => {
  // 40 MiB each, through the writer's 16 MiB of slots many times over, both fetches on one writer thread.
  const big = randomBytes(40 * 1024 * 1024 + 5)
  const bigHash: Hex = `0x${createHash('sha256').update(big).digest('hex')}`
  served = join(dir, 'big.bundle')
  await writeFile(served, big)
  const destinations = [join(dir, 'out', 'big-1.bundle'), join(dir, 'out', 'big-2.bundle')]
  try {
    const results = await Promise.all(
      destinations.map((destination) => fetchBundle(client, { kind: 'result', peer: server.peerId, id: `0x${'cd'.repeat(32)}`, destination, expectedHash: bigHash, maxBytes: 2 ** 30 })),
    )
    for (const [index, result] of results.entries()) {
      assert.is(result.bytes, big.length)
      assert.ok((await readFile(destinations[index]!)).equals(big), `${destinations[index]} holds the bundle`)
    }
  } finally {
    served = bundle
  }
})

test('a transfer interrupted halfway resumes from where it stopped', async () => {
  const destination = join(dir, 'out', 'resumed.bundle')
  behaviour = 'half'
  try {
    await fetch(destination)
    assert.unreachable('a cut transfer succeeded')
  } catch (error) {
    assert.ok(['TransferIncompleteError', 'StreamResetError', 'StreamAbortedError'].includes((error as Error).name) || /abort|reset|stopped/i.test((error as Error).message), (error as Error).message)
  }
  assert.not.ok(existsSync(destination), 'nothing half-written is in place')
  const partial = (await stat(`${destination}.partial`)).size
  assert.ok(partial > 0 && partial < bytes.length, `partial holds ${partial} bytes`)
  behaviour = 'serve'
  const result = await fetch(destination)
  assert.is(result.resumedFrom, partial)
  assert.ok((await readFile(destination)).equals(bytes))
})

test('a fetch aborted while the provider stalls stops with the abort reason and resumes later', async () => {
  const destination = join(dir, 'out', 'aborted.bundle')
  behaviour = 'stall'
  const controller = new AbortController()
  const reason = new Error('the client gave up')
  // Half the bytes arrive, then nothing: the abort is what ends the fetch.
  setTimeout(() => controller.abort(reason), 1_000)
  try {
    await fetch(destination, undefined, controller.signal)
    assert.unreachable('a stalled fetch finished')
  } catch (error) {
    assert.is(error, reason)
  } finally {
    releaseStalled()
  }
  assert.not.ok(existsSync(destination))
  assert.is((await stat(`${destination}.partial`)).size, Math.floor(bytes.length / 2), 'what arrived stays for the next fetch')
  behaviour = 'serve'
  const result = await fetch(destination)
  assert.is(result.resumedFrom, Math.floor(bytes.length / 2))
  assert.ok((await readFile(destination)).equals(bytes))
})

test('a corrupted result is refused and discarded', async () => {
  behaviour = 'corrupt'
  const destination = join(dir, 'out', 'corrupt.bundle')
  try {
    await fetch(destination)
    assert.unreachable('a corrupted bundle was accepted')
  } catch (error) {
    assert.is((error as Error).name, 'BundleHashMismatchError')
  }
  assert.not.ok(existsSync(destination))
  assert.not.ok(existsSync(`${destination}.partial`))
  behaviour = 'serve'
})

test('a bundle over the size cap is refused before its bytes are read', async () => {
  try {
    await fetch(join(dir, 'out', 'big.bundle'), 1024)
    assert.unreachable('an oversized bundle was accepted')
  } catch (error) {
    assert.is((error as Error).name, 'BundleTooLargeError')
  }
})

test('a client serves its job only to the providers it proposed to', async () => {
  const jobs = await serveJobs(server)
  jobs.offer(hash, bundle, ['12D3KooWSomeoneElse'])
  const job = (destination: string) => fetchBundle(client, { kind: 'job', peer: server.peerId, id: hash, destination, expectedHash: hash, maxBytes: 64 * 1024 * 1024 })
  try {
    await job(join(dir, 'out', 'job1.bundle'))
    assert.unreachable('an unauthorized peer got the job')
  } catch (error) {
    assert.is((error as Error).name, 'FetchFailedError')
    assert.match((error as Error).message, 'not-authorized')
  }
  jobs.allow(hash, client.peerId.toString())
  assert.is((await job(join(dir, 'out', 'job2.bundle'))).bytes, bytes.length)
  await jobs.stop()
})

test.run()
