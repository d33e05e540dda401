import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Readable } from 'node:stream'
import { type Logger, logger as createLogger } from '../../log/logger.ts'
import { RuntimeStoppedError, WrongRuntimeError } from '../errors.ts'
import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'
import { OutputCollector } from '../outputCollector.ts'
import { prepareWorkFolder } from '../prepareWorkFolder.ts'
import { processCpuSeconds } from '../procfs.ts'
import type { RunnableJob, RunOptions, RunResult, Runtime } from '../runtime.ts'
import { setProcessLimits } from '../setProcessLimits.ts'
import { superviseJob } from '../superviseJob.ts'
import { admitWasmModule } from './admitWasmModule.ts'
import { spawnWasmChild, type WasmChild, type WasmChildJob, type WasmChildMessage } from './spawnWasmChild.ts'

export type WasmRuntimeInit = {
  /** Where each run gets its own folder (a copy of the bundle). */
  workRoot: string
  /**
   * Processes kept started and waiting for a job, so a job does not wait for
   * Node to start (~60 ms). Each is used once. Default 1; 0 starts one per job.
   */
  spares?: number | undefined
  /** How often limits are measured while a job runs, ms. Default 100. */
  pollMs?: number | undefined
  /**
   * Memory the child process may use beyond the module's own memory
   * (RLIMIT_DATA backstop: V8, the compiled code), MiB. Default 512.
   */
  processOverheadMiB?: number | undefined
  /** The Node binary for the child processes. Default: this one. */
  nodePath?: string | undefined
}

export type WasmRuntimeComponents = { logger?: Logger | undefined }

const DEFAULTS = { spares: 1, pollMs: 100, processOverheadMiB: 512 }

/** Exit status reported for a module that was refused before it ran (the shell's "cannot execute"). */
export const REFUSED_EXIT_CODE = 126
/** Exit status reported for a module that trapped (as for an abort). */
export const TRAPPED_EXIT_CODE = 134
/** Exit status reported for a job the runtime killed (128 + SIGKILL). */
export const KILLED_EXIT_CODE = 137

const SIGNAL_NUMBERS: Record<string, number> = { SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGTERM: 15, SIGXCPU: 24, SIGXFSZ: 25, SIGTRAP: 5, SIGBUS: 7 }

/**
 * The `wasm` runtime: each job's WASI module runs under `node:wasi` in a child
 * process of its own.
 *
 * - only the job's folder is visible (preopened as `/`); no sockets exist in WASI preview1, and
 *   the module may import nothing but WASI preview1 functions;
 * - the environment is the manifest's `env` and nothing else, for the module and its process;
 * - memory: the module's memory maximum is capped at `limits.memoryMiB` before it is compiled,
 *   with RLIMIT_DATA on the process as a backstop;
 * - CPU: RLIMIT_CPU on the process; wall clock: a timer; both kill the process;
 * - output: stdout + stderr are capped at `limits.outputMiB`, and so are the files written
 *   (RLIMIT_FSIZE per file, and the folder's growth, measured while it runs and at the end).
 *
 * @example
 * const runtime = createWasmRuntime({ workRoot: join(home, 'jobs') })
 * await runtime.start()
 * const result = await runtime.run({ id, manifest, bundleDir })
 */
export function createWasmRuntime(init: WasmRuntimeInit, components: WasmRuntimeComponents = {}): Runtime {
  const options = { ...DEFAULTS, ...stripUndefined(init), nodePath: init.nodePath ?? process.execPath }
  const log = components.logger ?? createLogger('runtime:wasm')
  const spares: WasmChild[] = []
  const running = new Set<WasmChild>()
  let started = false

  const refill = () => {
    while (started && spares.length < options.spares) {
      const child = spawnWasmChild(options.nodePath, options.workRoot)
      // A waiting spare must not keep the provider's process alive on its own.
      child.process.unref()
      child.process.channel?.unref()
      spares.push(child)
      void child.closed.then(() => {
        const index = spares.indexOf(child)
        if (index >= 0) spares.splice(index, 1)
      })
    }
  }

  const take = async (): Promise<WasmChild> => {
    const spare = spares.shift()
    refill()
    const child = spare && spare.process.exitCode === null && spare.process.connected ? spare : spawnWasmChild(options.nodePath, options.workRoot)
    child.process.ref()
    child.process.channel?.ref()
    await child.ready
    return child
  }

  const run = async (job: RunnableJob, { signal, onLog }: RunOptions = {}): Promise<RunResult> => {
    if (!started) throw new RuntimeStoppedError({ runtime: 'wasm' })
    const { manifest } = job
    if (manifest.runtime !== 'wasm') throw new WrongRuntimeError({ expected: 'wasm', actual: manifest.runtime })
    const begin = performance.now()
    const { workDir, outputDir, bundleBytes } = await prepareWorkFolder({ workRoot: options.workRoot, jobId: job.id, manifest, bundleDir: job.bundleDir, signal })
    const empty = new Uint8Array(0)
    const admitted = admitWasmModule(new Uint8Array(await readFile(join(workDir, manifest.entry))), manifest.limits.memoryMiB)
    if ('failure' in admitted) {
      log('job %s refused: %s', job.id, admitted.failure.message)
      return { exitCode: REFUSED_EXIT_CODE, stdout: empty, stderr: empty, workDir, outputDir, failure: admitted.failure, usage: { wallMs: performance.now() - begin } }
    }

    const child = await take()
    running.add(child)
    try {
      const limits = manifest.limits
      const capBytes = admitted.maxPages * 65536
      const used = (await processCpuSeconds(child.pid)) ?? 0
      const cpuSoft = Math.ceil(used + limits.cpuSeconds)
      await setProcessLimits(child.pid, {
        cpuSeconds: { soft: cpuSoft, hard: cpuSoft + 1 },
        // One byte over the cap: a file that reaches it is then caught by the folder measure.
        fileBytes: limits.outputMiB * 2 ** 20 + 1,
        dataBytes: (limits.memoryMiB + options.processOverheadMiB) * 2 ** 20 + admitted.module.length * 4,
      })

      const kill = () => child.process.kill('SIGKILL')
      const supervisor = superviseJob({ limits, workDir, baseBytes: bundleBytes, kill, pollMs: options.pollMs, signal })
      const output = new OutputCollector(limits.outputMiB * 2 ** 20, onLog, () =>
        supervisor.fail(jobFailure(JobFailureName.OutputLimitExceeded, `wrote more than limits.outputMiB (${limits.outputMiB} MiB) to stdout and stderr`)),
      )
      const [, , , , jobStdout, jobStderr] = child.process.stdio as unknown as Readable[]
      jobStdout!.on('data', (chunk: Buffer) => output.push('stdout', chunk))
      jobStderr!.on('data', (chunk: Buffer) => output.push('stderr', chunk))
      let outcome: WasmChildMessage | undefined
      child.process.on('message', (message: WasmChildMessage) => {
        if (message.type !== 'ready' && message.type !== 'started') outcome = message
      })
      const message: WasmChildJob = { module: admitted.module, args: [manifest.entry, ...manifest.args], env: manifest.env, dir: workDir }
      child.process.send(message)
      const { signal: exitSignal } = await child.closed
      await supervisor.finish()

      const usage = {
        wallMs: performance.now() - begin,
        cpuMs: outcome && 'cpuMicros' in outcome ? outcome.cpuMicros / 1000 : undefined,
        memoryBytes: outcome && 'memoryBytes' in outcome ? outcome.memoryBytes : undefined,
      }
      const { exitCode, failure } = judge(supervisor.failure, outcome, exitSignal, capBytes, child.diagnostics(), limits)
      if (failure) log('job %s stopped: %s (%s)', job.id, failure.name, failure.message)
      return { exitCode, stdout: output.bytes('stdout'), stderr: output.bytes('stderr'), workDir, outputDir, failure, usage }
    } finally {
      running.delete(child)
      if (child.process.exitCode === null) child.process.kill('SIGKILL')
    }
  }

  return {
    kind: 'wasm',
    async start() {
      await mkdir(options.workRoot, { recursive: true })
      started = true
      refill()
      await Promise.all(spares.map((spare) => spare.ready.catch(() => {})))
    },
    async stop() {
      started = false
      const children = [...spares.splice(0), ...running]
      for (const child of children) child.process.kill('SIGKILL')
      await Promise.all(children.map((child) => child.closed))
    },
    run,
  }
}

// Turns what was seen into the reported exit status and failure. A limit the
// supervisor enforced comes first; then what the kernel or the module says.
function judge(
  enforced: JobFailure | undefined,
  outcome: WasmChildMessage | undefined,
  exitSignal: NodeJS.Signals | null,
  capBytes: number,
  diagnostics: string,
  limits: RunnableJob['manifest']['limits'],
): { exitCode: number; failure?: JobFailure | undefined } {
  if (enforced) return { exitCode: KILLED_EXIT_CODE, failure: enforced }
  // Memory within an eighth of the cap when the module failed: it most likely failed to grow.
  const nearCap = (bytes: number) => bytes >= capBytes - Math.max(capBytes / 8, 2 ** 20)
  const memoryFailure = () =>
    jobFailure(JobFailureName.MemoryLimitExceeded, `the module reached its memory limit (limits.memoryMiB = ${limits.memoryMiB})`)
  if (outcome?.type === 'exited') {
    if (outcome.exitCode !== 0 && nearCap(outcome.memoryBytes)) return { exitCode: outcome.exitCode, failure: memoryFailure() }
    return { exitCode: outcome.exitCode }
  }
  if (outcome?.type === 'trapped') {
    if (nearCap(outcome.memoryBytes)) return { exitCode: TRAPPED_EXIT_CODE, failure: memoryFailure() }
    return { exitCode: TRAPPED_EXIT_CODE, failure: jobFailure(JobFailureName.Trapped, `the module trapped: ${outcome.error}: ${outcome.message}`) }
  }
  if (outcome?.type === 'refused') return { exitCode: REFUSED_EXIT_CODE, failure: jobFailure(JobFailureName.InvalidEntry, `the module could not be loaded: ${outcome.message}`) }
  const exitCode = 128 + (SIGNAL_NUMBERS[exitSignal ?? ''] ?? 0)
  if (exitSignal === 'SIGXCPU')
    return { exitCode, failure: jobFailure(JobFailureName.CpuTimeLimitExceeded, `used more than limits.cpuSeconds (${limits.cpuSeconds} s) of CPU`) }
  if (exitSignal === 'SIGXFSZ')
    return { exitCode, failure: jobFailure(JobFailureName.OutputLimitExceeded, `wrote a file larger than limits.outputMiB (${limits.outputMiB} MiB)`) }
  if (/out of memory|allocation failed/i.test(diagnostics)) return { exitCode, failure: memoryFailure() }
  return { exitCode, failure: jobFailure(JobFailureName.Crashed, `the module's process ended (${exitSignal ?? 'no result'}): ${diagnostics.trim().split('\n').pop() ?? ''}`) }
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never
}
