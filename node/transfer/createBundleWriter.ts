import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** The worker script, next to this module (and next to the CLI bundle, where cli/build.js copies it). */
export const BUNDLE_WRITER_SCRIPT = fileURLToPath(new URL('./bundleWriterWorker.js', import.meta.url))

/** Most bytes handed to the worker and not yet written; past it `write` waits. */
const maxPendingBytes = 16 * 2 ** 20

/** Appends a bundle's bytes to a file and hashes them (what was in the file already included). */
export type BundleWriter = {
  /**
   * A buffer of at least `bytes` to fill and pass to `write`: one the worker has
   * written and handed back where there is one, so a long fetch allocates (and
   * collects) a handful of buffers, not one per batch.
   */
  buffer: (bytes: number) => Uint8Array
  /** Takes ownership of the whole buffer under `bytes` (it moves to the worker); resolves once there is room for more. */
  write: (bytes: Uint8Array) => Promise<void>
  /** Waits for every write; returns the SHA-256 of the whole file as 0x-hex. */
  finish: () => Promise<`0x${string}`>
  /** Stops at once; what was written stays in the file. */
  abort: () => Promise<void>
}

/**
 * A writer whose hashing and writing run on a worker thread, so the thread
 * reading the stream spends its time on the stream alone.
 *
 * @example
 * const writer = createBundleWriter(`${destination}.partial`)
 * const batch = writer.buffer(1 << 20)
 * await writer.write(batch)
 * const hash = await writer.finish()
 */
export function createBundleWriter(path: string): BundleWriter {
  // The worker is plain JavaScript: it takes none of this process's flags, so it
  // loads no TypeScript loader (under tsx that start-up cost more CPU than a
  // 100 MB transfer's hashing).
  const worker = new Worker(BUNDLE_WRITER_SCRIPT, { workerData: { path }, execArgv: [] })
  const spare: ArrayBuffer[] = []
  let pending = 0
  let failure: Error | undefined
  let room: Deferred<void> | undefined
  let done: Deferred<`0x${string}`> | undefined
  const fail = (error: Error) => {
    failure ??= error
    room?.reject(failure)
    done?.reject(failure)
  }
  worker.on('message', (message: { written?: ArrayBuffer; digest?: string; error?: string }) => {
    if (message.error !== undefined) return fail(new Error(`writing ${path}: ${message.error}`))
    if (message.digest !== undefined) return done?.resolve(`0x${message.digest}`)
    if (!message.written) return
    pending -= message.written.byteLength
    spare.push(message.written)
    if (pending <= maxPendingBytes) room?.resolve()
  })
  worker.on('error', fail)
  worker.on('exit', () => fail(new Error(`the writer of ${path} stopped`)))
  return {
    buffer(bytes) {
      const reused = spare.pop()
      return reused && reused.byteLength >= bytes ? new Uint8Array(reused) : new Uint8Array(new ArrayBuffer(bytes))
    },
    async write(bytes) {
      if (failure) throw failure
      // The buffer moves to the worker with the length to take from it (the rest
      // is unused room); a view of part of someone else's buffer is copied first,
      // since only a whole buffer can move between threads.
      const owned = bytes.byteOffset === 0 ? bytes : new Uint8Array(bytes)
      pending += owned.buffer.byteLength
      worker.postMessage({ buffer: owned.buffer, length: owned.byteLength }, [owned.buffer as ArrayBuffer])
      if (pending > maxPendingBytes) {
        room = deferred<void>()
        await room.promise
        room = undefined
      }
    },
    async finish() {
      if (failure) throw failure
      done = deferred<`0x${string}`>()
      worker.postMessage('end')
      try {
        return await done.promise
      } finally {
        await worker.terminate()
      }
    },
    async abort() {
      failure ??= new Error('aborted')
      await worker.terminate()
    },
  }
}

type Deferred<T> = { promise: Promise<T>; resolve: (value: T) => void; reject: (error: Error) => void }

// Promise.withResolvers is Node 22; this runs on Node 20 too.
function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (error: Error) => void
  const promise = new Promise<T>((yes, no) => ((resolve = yes), (reject = no)))
  promise.catch(() => {})
  return { promise, resolve, reject }
}
