import { type ChildProcess, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { JobSpawnError } from '../errors.ts'

/** The child's script: plain JavaScript, so no loader is needed to start it. */
export const WASM_CHILD_SCRIPT = fileURLToPath(new URL('./wasmChild.js', import.meta.url))

/** A message from the child (see wasmChild.js). */
export type WasmChildMessage =
  | { type: 'ready' }
  | { type: 'loaded' }
  | { type: 'exited'; exitCode: number; memoryBytes: number; cpuMicros: number }
  | { type: 'trapped'; error: string; message: string; memoryBytes: number; cpuMicros: number }
  | { type: 'refused'; message: string }

/** What the child needs to run a module. */
export type WasmChildJob = { module: Uint8Array; args: string[]; env: Record<string, string>; dir: string }

/** One single-use process that runs one WASI module. */
export type WasmChild = {
  process: ChildProcess
  pid: number
  /** Resolves when the child can take a job. */
  ready: Promise<void>
  /** Resolves when the process has exited and its output pipes are closed. */
  closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** The last messages Node itself printed (warnings, fatal errors), for diagnosis. */
  diagnostics: () => string
}

/**
 * Starts a child process for one WASI module: an empty environment, stdin from
 * /dev/null, the job's stdout and stderr on fds 4 and 5.
 *
 * @param nodePath - The Node binary.
 * @param cwd - Its working directory (never the provider's home).
 * @throws JobSpawnError when the process cannot start.
 */
export function spawnWasmChild(nodePath: string, cwd: string): WasmChild {
  const child = spawn(nodePath, ['--no-warnings', WASM_CHILD_SCRIPT], {
    cwd,
    // Nothing of the provider's environment (keys, passwords, NODE_OPTIONS) reaches the job's process.
    env: {},
    stdio: ['ignore', 'pipe', 'pipe', 'ipc', 'pipe', 'pipe'],
    serialization: 'advanced',
  })
  if (child.pid === undefined) throw new JobSpawnError({ command: nodePath })
  let diagnostics = ''
  const keep = (chunk: Buffer) => {
    diagnostics = (diagnostics + chunk.toString('utf8')).slice(-4096)
  }
  // Failed sends and kills surface as 'error' events; the outcome is read from 'close' instead.
  child.on('error', (error) => keep(Buffer.from(`\n${error.message}`)))
  child.stdout!.on('data', keep)
  child.stderr!.on('data', keep)
  const ready = new Promise<void>((resolve, reject) => {
    const onMessage = (message: WasmChildMessage) => {
      if (message.type !== 'ready') return
      child.off('message', onMessage)
      resolve()
    }
    child.on('message', onMessage)
    child.once('error', (cause) => reject(new JobSpawnError({ command: nodePath, cause })))
    child.once('exit', (code, signal) =>
      reject(new JobSpawnError({ command: nodePath, cause: new Error(`exited (${signal ?? code}) before it was ready: ${diagnostics.trim()}`) })),
    )
  })
  // A spare that is never used must not leave an unhandled rejection behind.
  ready.catch(() => {})
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  )
  return { process: child, pid: child.pid, ready, closed, diagnostics: () => diagnostics }
}
