// Runs one WASI module for the wasm runtime (createWasmRuntime.ts), in a process
// of its own so that the parent can put rlimits on it and kill it outright.
// Plain JavaScript with no imports beyond Node itself: it starts in the time
// Node takes to start, and the parent usually starts it before a job arrives.
//
// Protocol over the IPC channel (fd 3):
//   child → parent  { type: 'ready' }
//   parent → child  { module: Uint8Array, args: string[], env: {}, dir: string }
//   child → parent  { type: 'loaded' }    (compiled and instantiated; nothing of the job has run)
//   parent → child  { type: 'start' }     (sent once the parent has put its rlimits on this process)
//   child → parent  { type: 'exited', exitCode, memoryBytes, cpuMicros }
//                 | { type: 'trapped', error, message, memoryBytes, cpuMicros }
//                 | { type: 'refused', message }   (compile or link failed)
// The job's stdout and stderr are fds 4 and 5; the child's own fds 1 and 2 are
// for Node's diagnostics, which never mix with the job's output.
import { WASI } from 'node:wasi'

// Everything used after the module returns is reachable from this module-level
// object, not only from local variables. On Node 20, when a module that made
// WASI calls after growing its memory traps, V8 can miss the frames below the
// module in a garbage collection and free what only they referenced (seen as
// a crash with "FreeSpace" in the stack trace). Held from here, it survives.
const state = { wasi: undefined, instance: undefined, cpuBefore: undefined, outcome: undefined }

process.once('message', (job) => {
  load(job)
    .then((loaded) => (loaded ? startSignal().then(execute) : undefined))
    .then(() => send(state.outcome))
    .finally(() => process.disconnect())
})

function startSignal() {
  return new Promise((resolve) => process.once('message', resolve))
}
process.send({ type: 'ready' })

async function load(job) {
  try {
    state.wasi = new WASI({
      version: 'preview1',
      args: job.args,
      env: job.env,
      // The job's folder is the module's whole file system.
      preopens: { '/': job.dir },
      stdin: 0,
      stdout: 4,
      stderr: 5,
      returnOnExit: true,
    })
    const module = await WebAssembly.compile(job.module)
    state.instance = await WebAssembly.instantiate(module, state.wasi.getImportObject())
  } catch (error) {
    state.outcome = { type: 'refused', message: String(error?.message ?? error) }
    return false
  }
  await send({ type: 'loaded' })
  return true
}

function execute() {
  state.cpuBefore = process.cpuUsage()
  try {
    state.outcome = { type: 'exited', exitCode: state.wasi.start(state.instance) }
  } catch (error) {
    state.outcome = { type: 'trapped', error: String(error?.name ?? 'Error'), message: String(error?.message ?? error) }
  }
  const memory = state.instance.exports.memory
  state.outcome.memoryBytes = memory instanceof WebAssembly.Memory ? memory.buffer.byteLength : 0
  const used = process.cpuUsage(state.cpuBefore)
  state.outcome.cpuMicros = used.user + used.system
}

// Resolves once the message is written, so that disconnecting after it loses nothing.
function send(message) {
  return new Promise((resolve) => {
    if (!process.connected || !message) return resolve()
    process.send(message, undefined, {}, () => resolve())
  })
}
