// The worker behind createBundleWriter: hashes and appends a bundle's bytes off
// the receiving thread, which then only moves bytes off the stream. Plain
// JavaScript so that it runs as it is next to the CLI bundle (cli/build.js copies it).
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'

const { path } = workerData
const hash = createHash('sha256')
const fd = openSync(path, 'a+')
// What an earlier, interrupted fetch left counts towards the hash.
const piece = Buffer.allocUnsafe(1 << 20)
for (let position = 0; ; ) {
  const read = readSync(fd, piece, 0, piece.length, position)
  if (read === 0) break
  hash.update(piece.subarray(0, read))
  position += read
}

parentPort.on('message', (message) => {
  try {
    if (message === 'end') {
      closeSync(fd)
      parentPort.postMessage({ digest: hash.digest('hex') })
      return
    }
    // The buffer goes back once written, for the next batch to be filled in.
    const bytes = new Uint8Array(message.buffer, 0, message.length)
    hash.update(bytes)
    for (let written = 0; written < bytes.byteLength; ) written += writeSync(fd, bytes, written)
    parentPort.postMessage({ written: message.buffer }, [message.buffer])
  } catch (error) {
    parentPort.postMessage({ error: error instanceof Error ? error.message : String(error) })
  }
})
