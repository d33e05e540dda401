import { fileURLToPath } from 'node:url'
import { Worker } from 'node:worker_threads'

/** The worker script, next to this module (and next to the CLI bundle, where cli/build.js copies it). */
export const BUNDLE_WRITER_SCRIPT = fileURLToPath(new URL('./bundleWriterWorker.js', import.meta.url))

/** Bytes handed to the worker at a time: each hand-over wakes it and wakes this thread back, so few and large. */
const slotBytes = 4 * 2 ** 20
/** Slots per writer; the most bytes copied in and not yet written is their sum, past it `write` waits. */
const slotCount = 4

/** Appends a bundle's bytes to a file and hashes them (what was in the file already included). */
export type BundleWriter = {
  /**
   * Copies `bytes` in (the caller may reuse their memory as soon as it returns);
   * resolves at once while there is room, otherwise once the worker has written a slot.
   */
  write: (bytes: Uint8Array) => Promise<void>
  /** Writes what is left and waits for every write; returns the SHA-256 of the whole file as 0x-hex. */
  finish: () => Promise<`0x${string}`>
  /** Stops; what was written stays in the file. */
  abort: () => Promise<void>
}

/**
 * A writer whose hashing and writing run on a worker thread, so the thread
 * reading the stream spends its time on the stream alone.
 *
 * Bytes reach the worker through a ring of slots in one SharedArrayBuffer,
 * allocated once per writer: this thread copies into a slot and posts its number,
 * the worker hashes and appends it and posts the number back. Moving a buffer per
 * batch instead brings a fresh ArrayBuffer into this thread's heap with every
 * return, which V8 counts as new external memory and answers with more full
 * garbage collections of the receiving thread's heap.
 *
 * One worker serves every writer of the process, started by the first and kept
 * (unreferenced while no writer is open): starting a worker costs tens of
 * milliseconds of CPU, more than hashing a small bundle, and a node fetches one
 * bundle after another.
 *
 * @example
 * const writer = createBundleWriter(`${destination}.partial`)
 * for await (const piece of pieces) await writer.write(piece)
 * const hash = await writer.finish()
 */
export function createBundleWriter(path: string): BundleWriter {
  // A Buffer over the ring, for `fill`: copying into shared memory through
  // TypedArray#set takes the slow, tear-free path (3x memcpy's cost here); Buffer#fill
  // with a value as long as the range is one plain copy.
  const ring = Buffer.from(new SharedArrayBuffer(slotBytes * slotCount))
  const free = Array.from({ length: slotCount - 1 }, (_, slot) => slot + 1)
  let slot: number | undefined = 0
  let filled = 0
  let failure: Error | undefined
  let room: Deferred<void> | undefined
  let done: Deferred<`0x${string}`> | undefined
  const fail = (reason: string) => {
    failure ??= new Error(`writing ${path}: ${reason}`)
    room?.reject(failure)
    done?.reject(failure)
  }
  const thread = writerThread()
  const id = thread.open(path, ring.buffer as SharedArrayBuffer, {
    written(returned) {
      free.push(returned)
      room?.resolve()
    },
    digest: (digest) => done?.resolve(`0x${digest}`),
    fail,
  })
  const flush = () => {
    thread.post({ id, slot, length: filled })
    slot = free.pop()
    filled = 0
  }
  return {
    async write(bytes) {
      for (let from = 0; from < bytes.byteLength; ) {
        if (failure) throw failure
        slot ??= free.pop()
        if (slot === undefined) {
          room = deferred<void>()
          await room.promise
          room = undefined
          continue
        }
        const take = Math.min(bytes.byteLength - from, slotBytes - filled)
        const at = slot * slotBytes + filled
        ring.fill(take === bytes.byteLength ? bytes : bytes.subarray(from, from + take), at, at + take)
        filled += take
        from += take
        if (filled === slotBytes) flush()
      }
    },
    async finish() {
      if (failure) throw failure
      done = deferred<`0x${string}`>()
      if (filled > 0) flush()
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

type WriterEvents = { written: (slot: number) => void; digest: (digest: string) => void; fail: (reason: string) => void }
type WriterThread = {
  open: (path: string, ring: SharedArrayBuffer, events: WriterEvents) => number
  post: (message: { id: number } & Record<string, unknown>) => void
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
  worker.on('message', (message: { id: number; written?: number; digest?: string; error?: string }) => {
    const events = writers.get(message.id)
    if (!events) return
    if (message.error !== undefined) events.fail(message.error)
    else if (message.digest !== undefined) events.digest(message.digest)
    else if (message.written !== undefined) events.written(message.written)
  })
  worker.on('error', (error) => stopped(error.message))
  worker.on('exit', () => stopped('the writer thread stopped'))
  worker.unref()
  const thread: WriterThread = {
    open(path, ring, events) {
      const id = next++
      writers.set(id, events)
      if (writers.size === 1) worker.ref()
      worker.postMessage({ id, path, ring, slotBytes })
      return id
    },
    post: (message) => worker.postMessage(message),
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
