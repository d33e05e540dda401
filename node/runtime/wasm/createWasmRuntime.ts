import { mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import type { Readable } from 'node:stream'
import { type Logger, logger as createLogger } from '../../log/logger.ts'
import { RuntimeStoppedError, WrongRuntimeError } from '../errors.ts'
import { KILLED_EXIT_CODE, REFUSED_EXIT_CODE, rlimitFailure, signalExitCode, TRAPPED_EXIT_CODE } from '../exitStatus.ts'
import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'
import { OutputCollector } from '../outputCollector.ts'
import { prepareWorkFolder } from '../prepareWorkFolder.ts'
import { processCpuSeconds } from '../procfs.ts'
import type { RunnableJob, RunOptions, RunResult, Runtime } from '../runtime.ts'
import { setProcessLimits } from '../setProcessLimits.ts'
import { type JobSupervisor, superviseJob } from '../superviseJob.ts'
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
      // A spare waiting for a job must not keep the provider's process alive on its own
      // (but one still starting must, or nothing would wait for its first message).
      child.ready.then(
        () => {
          if (!spares.includes(child)) return
          child.process.unref()
          child.process.channel?.unref()
        },
        () => {},
      )
      spares.push(child)
      void child.closed.then(() => {
        const index = spares.indexOf(child)
        if (index >= 0) spares.splice(index, 1)
      })
    }
  }

  const take = async (): Promise<WasmChild> => {
    const spare = spares.shift()
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
    const { workDir, outputDir, bundleBytes } = await prepareWorkFolder({ workRoot: options.workRoot, jobId: job.id, manifest, bundleDir: job.bundleDir, take: job.takeBundle, signal })
    const empty = new Uint8Array(0)
    const moduleBytes = await readFile(join(workDir, manifest.entry)).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT' || error.code === 'EISDIR') return undefined
      throw error
    })
    const admitted = moduleBytes
      ? admitWasmModule(new Uint8Array(moduleBytes), manifest.limits.memoryMiB)
      : { failure: jobFailure(JobFailureName.InvalidEntry, `the bundle has no module ${manifest.entry}`) }
    if ('failure' in admitted) {
      log('job %s refused: %s', job.id, admitted.failure.message)
      return { exitCode: REFUSED_EXIT_CODE, stdout: empty, stderr: empty, workDir, outputDir, failure: admitted.failure, usage: { wallMs: performance.now() - begin } }
    }

    const child = await take()
    running.add(child)
    let supervisor: JobSupervisor | undefined
    try {
      const limits = manifest.limits
      const capBytes = admitted.maxPages * 65536
      const kill = () => child.process.kill('SIGKILL')
      supervisor = superviseJob({ limits, workDir, baseBytes: bundleBytes, kill, pollMs: options.pollMs, signal })
      const output = new OutputCollector(limits.outputMiB * 2 ** 20, onLog, () =>
        supervisor?.fail(jobFailure(JobFailureName.OutputLimitExceeded, `wrote more than limits.outputMiB (${limits.outputMiB} MiB) to stdout and stderr`)),
      )
      const [, , , , jobStdout, jobStderr] = child.process.stdio as unknown as Readable[]
      jobStdout!.on('data', (chunk: Buffer) => output.push('stdout', chunk))
      jobStderr!.on('data', (chunk: Buffer) => output.push('stderr', chunk))
      let outcome: WasmChildMessage | undefined
      const loaded = new Promise<boolean>((resolve) => {
        child.process.on('message', (message: WasmChildMessage) => {
          if (message.type === 'ready') return
          if (message.type === 'loaded') return resolve(true)
          outcome = message
          resolve(false)
          // The outcome is all the child has left to give (the module's output is already in the
          // pipes); killing it outright saves the ~40 ms a graceful Node exit takes.
          child.process.kill('SIGKILL')
        })
        void child.closed.then(() => resolve(false))
      })
      const message: WasmChildJob = { module: admitted.module, args: [manifest.entry, ...manifest.args], env: manifest.env, dir: workDir }
      // A child that died meanwhile cannot take the message; its end is reported through `closed`.
      const ignore = () => {}
      child.process.send(message, ignore)
      // The rlimits go on while the child compiles the module; the module starts only after both.
      const used = (await processCpuSeconds(child.pid)) ?? 0
      const cpuSoft = Math.ceil(used + limits.cpuSeconds)
      await setProcessLimits(child.pid, {
        cpuSeconds: { soft: cpuSoft, hard: cpuSoft + 1 },
        // One byte over the cap: a file that reaches it is then caught by the folder measure.
        fileBytes: limits.outputMiB * 2 ** 20 + 1,
        dataBytes: (limits.memoryMiB + options.processOverheadMiB) * 2 ** 20 + admitted.module.length * 4,
      })
      if (await loaded) child.process.send({ type: 'start' }, ignore)
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
      await supervisor?.finish()
      // The next spare starts once this job is done, so its start-up does not compete with the job.
      refill()
    }
  }

  return {
    kind: 'wasm',
    // The module is checked when it runs (admitWasmModule); nothing outside the bundle is needed.
    admit: async () => {},
    async start() {
      await mkdir(options.workRoot, { recursive: true })
      started = true
      refill()
      await Promise.all(spares.map((spare) => spare.ready.catch(() => {})))
    },
    async stop() {
      started = false
      const children = [...spares.splice(0), ...running]
      for (const child of children) {
        // Held again (spares are unreferenced), or the process could exit before they are gone.
        child.process.ref()
        child.process.kill('SIGKILL')
      }
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
  const exitCode = signalExitCode(exitSignal)
  const enforcedByKernel = rlimitFailure(exitCode, limits)
  if (enforcedByKernel) return { exitCode, failure: enforcedByKernel }
  if (/out of memory|allocation failed/i.test(diagnostics)) return { exitCode, failure: memoryFailure() }
  return { exitCode, failure: jobFailure(JobFailureName.Crashed, `the module's process ended (${exitSignal ?? 'no result'}): ${diagnostics.trim().split('\n').pop() ?? ''}`) }
}

function stripUndefined<T extends object>(value: T): { [K in keyof T]-?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as never
}
