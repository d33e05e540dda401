// The worker behind createBundleWriter: hashes and appends bundles' bytes off the
// receiving thread, which then only moves bytes off the stream. One worker serves
// every fetch of its process, each file under the id its writer was given. Plain
// JavaScript so that it runs as it is next to the CLI bundle (cli/build.js copies it).
import { createHash } from 'node:crypto'
import { closeSync, openSync, readSync, writeSync } from 'node:fs'
import { parentPort } from 'node:worker_threads'

/** @type {Map<number, { fd: number, hash: import('node:crypto').Hash, ring: SharedArrayBuffer, slotBytes: number }>} */
const files = new Map()

/** Room to read back what a file holds already; its size is also how much of a slot is hashed and written at a time. */
const piece = Buffer.allocUnsafe(1 << 20)

/** Opens the file to append to; what an earlier, interrupted fetch left counts towards the hash. */
function open(path, ring, slotBytes) {
  const hash = createHash('sha256')
  const fd = openSync(path, 'a+')
  for (let position = 0; ; ) {
    const read = readSync(fd, piece, 0, piece.length, position)
    if (read === 0) break
    hash.update(piece.subarray(0, read))
    position += read
  }
  return { fd, hash, ring, slotBytes }
}

function close(id) {
  const file = files.get(id)
  files.delete(id)
  if (file) closeSync(file.fd)
  return file
}

parentPort.on('message', (message) => {
  const { id } = message
  try {
    if (message.path !== undefined) return void files.set(id, open(message.path, message.ring, message.slotBytes))
    if (message.abort) return void close(id)
    if (message.end) return parentPort.postMessage({ id, digest: close(id).hash.digest('hex') })
    const file = files.get(id)
    // A megabyte at a time, hashed then written, so the write reads what the hash
    // just brought into this core's cache rather than the slot from memory again.
    for (let from = 0; from < message.length; from += piece.byteLength) {
      const bytes = new Uint8Array(file.ring, message.slot * file.slotBytes + from, Math.min(piece.byteLength, message.length - from))
      file.hash.update(bytes)
      for (let written = 0; written < bytes.byteLength; ) written += writeSync(file.fd, bytes, written)
    }
    // The slot goes back once written, for the receiving thread to fill again.
    parentPort.postMessage({ id, written: message.slot })
  } catch (error) {
    try {
      close(id)
    } catch {}
    parentPort.postMessage({ id, error: error instanceof Error ? error.message : String(error) })
  }
})
