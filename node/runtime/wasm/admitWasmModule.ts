import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'
import { capWasmMemory } from './capWasmMemory.ts'
import { inspectWasmModule, WASM_PAGE_BYTES, WasmFormatError } from './inspectWasmModule.ts'

/** The WASI preview1 functions node:wasi provides; a module may import these and nothing else. */
export const WASI_PREVIEW1_FUNCTIONS: ReadonlySet<string> = new Set([
  'args_get', 'args_sizes_get', 'environ_get', 'environ_sizes_get', 'clock_res_get', 'clock_time_get',
  'fd_advise', 'fd_allocate', 'fd_close', 'fd_datasync', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_fdstat_set_rights', 'fd_filestat_get', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_pwrite', 'fd_read', 'fd_readdir', 'fd_renumber', 'fd_seek',
  'fd_sync', 'fd_tell', 'fd_write', 'path_create_directory', 'path_filestat_get', 'path_filestat_set_times',
  'path_link', 'path_open', 'path_readlink', 'path_remove_directory', 'path_rename', 'path_symlink',
  'path_unlink_file', 'poll_oneoff', 'proc_exit', 'proc_raise', 'sched_yield', 'random_get',
  // Preview1 has no call that opens a socket: these only act on sockets handed in, and none are.
  'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
])

/** The WASI import module name. */
export const WASI_MODULE = 'wasi_snapshot_preview1'

export type AdmitWasmModuleReturnType = { module: Uint8Array; maxPages: number } | { failure: JobFailure }

/**
 * Decides whether a module may run, and prepares it: a WASI command (exports
 * `_start` and `memory`), importing only WASI preview1 functions (so it has no
 * network and no host calls), with 32-bit memories whose maximum is capped at
 * the job's memory limit (see `capWasmMemory`).
 *
 * @param bytes - The module's bytes.
 * @param memoryMiB - The job's `limits.memoryMiB`.
 * @returns The module to run, or the failure that refuses it (`InvalidEntry`, `UnsupportedImport`, `MemoryLimitExceeded`).
 */
export function admitWasmModule(bytes: Uint8Array, memoryMiB: number): AdmitWasmModuleReturnType {
  const maxPages = Math.min(65536, Math.floor((memoryMiB * 2 ** 20) / WASM_PAGE_BYTES))
  let info
  try {
    info = inspectWasmModule(bytes)
  } catch (error) {
    if (error instanceof WasmFormatError) return { failure: jobFailure(JobFailureName.InvalidEntry, `not a WebAssembly module: ${error.message}`) }
    throw error
  }
  for (const entry of info.imports)
    if (entry.module !== WASI_MODULE || entry.kind !== 'function' || !WASI_PREVIEW1_FUNCTIONS.has(entry.name))
      return {
        failure: jobFailure(
          JobFailureName.UnsupportedImport,
          `the module imports ${entry.kind} ${entry.module}.${entry.name}; only WASI preview1 functions are provided (no sockets, no host calls)`,
        ),
      }
  if (!info.exports.some((e) => e.name === '_start' && e.kind === 'function'))
    return { failure: jobFailure(JobFailureName.InvalidEntry, 'the module exports no _start function (it must be a WASI command)') }
  if (!info.exports.some((e) => e.name === 'memory' && e.kind === 'memory'))
    return { failure: jobFailure(JobFailureName.InvalidEntry, 'the module exports no memory') }
  if (info.memories.some((memory) => memory.memory64))
    return { failure: jobFailure(JobFailureName.InvalidEntry, 'the module uses 64-bit memory, which this runtime does not run') }
  try {
    return { module: capWasmMemory(bytes, maxPages), maxPages }
  } catch (error) {
    if (error instanceof RangeError) return { failure: jobFailure(JobFailureName.MemoryLimitExceeded, `${error.message} (limits.memoryMiB = ${memoryMiB})`) }
    if (error instanceof WasmFormatError) return { failure: jobFailure(JobFailureName.InvalidEntry, error.message) }
    throw error
  }
}
