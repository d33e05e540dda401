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
  /** Stops; what was written stays in the file. */
  abort: () => Promise<void>
}

/**
 * A writer whose hashing and writing run on a worker thread, so the thread
 * reading the stream spends its time on the stream alone.
 *
 * One worker serves every writer of the process, started by the first and kept
 * (unreferenced while no writer is open): starting a worker costs tens of
 * milliseconds of CPU, more than hashing a small bundle, and a node fetches one
 * bundle after another.
 *
 * @example
 * const writer = createBundleWriter(`${destination}.partial`)
 * const batch = writer.buffer(1 << 20)
 * await writer.write(batch)
 * const hash = await writer.finish()
 */
export function createBundleWriter(path: string): BundleWriter {
  const spare: ArrayBuffer[] = []
  let pending = 0
  let failure: Error | undefined
  let room: Deferred<void> | undefined
  let done: Deferred<`0x${string}`> | undefined
  const fail = (reason: string) => {
    failure ??= new Error(`writing ${path}: ${reason}`)
    room?.reject(failure)
    done?.reject(failure)
  }
  const thread = writerThread()
  const id = thread.open(path, {
    written(buffer) {
      pending -= buffer.byteLength
      spare.push(buffer)
      if (pending <= maxPendingBytes) room?.resolve()
    },
    digest: (digest) => done?.resolve(`0x${digest}`),
    fail,
  })
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
      thread.post({ id, buffer: owned.buffer, length: owned.byteLength }, [owned.buffer as ArrayBuffer])
      if (pending > maxPendingBytes) {
        room = deferred<void>()
        await room.promise
        room = undefined
      }
    },
    async finish() {
      if (failure) throw failure
      done = deferred<`0x${string}`>()
      thread.post({ id, end: true })
      try {
        return await done.promise
      } finally {
        thread.close(id)
      }
    },
    async abort() {
      failure ??= new Error('aborted')
      thread.post({ id, abort: true })
      thread.close(id)
    },
  }
}

type WriterEvents = { written: (buffer: ArrayBuffer) => void; digest: (digest: string) => void; fail: (reason: string) => void }
type WriterThread = {
  open: (path: string, events: WriterEvents) => number
  post: (message: { id: number } & Record<string, unknown>, transfer?: ArrayBuffer[]) => void
  close: (id: number) => void
}

let shared: WriterThread | undefined

/** The process's writer worker, started on first use; a worker that stopped fails its writers and is replaced by the next one. */
function writerThread(): WriterThread {
  if (shared) return shared
  // The worker is plain JavaScript: it takes none of this process's flags, so it
  // loads no TypeScript loader (under tsx that start-up cost more CPU than a
  // 100 MB transfer's hashing).
  const worker = new Worker(BUNDLE_WRITER_SCRIPT, { execArgv: [] })
  const writers = new Map<number, WriterEvents>()
  let next = 0
  const stopped = (reason: string) => {
    if (shared === thread) shared = undefined
    for (const events of writers.values()) events.fail(reason)
    writers.clear()
  }
  worker.on('message', (message: { id: number; written?: ArrayBuffer; digest?: string; error?: string }) => {
    const events = writers.get(message.id)
    if (!events) return
    if (message.error !== undefined) events.fail(message.error)
    else if (message.digest !== undefined) events.digest(message.digest)
    else if (message.written) events.written(message.written)
  })
  worker.on('error', (error) => stopped(error.message))
  worker.on('exit', () => stopped('the writer thread stopped'))
  worker.unref()
  const thread: WriterThread = {
    open(path, events) {
      const id = next++
      writers.set(id, events)
      if (writers.size === 1) worker.ref()
      worker.postMessage({ id, path })
      return id
    },
    post: (message, transfer) => worker.postMessage(message, transfer),
    close(id) {
      if (writers.delete(id) && writers.size === 0) worker.unref()
    },
  }
  shared = thread
  return thread
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
