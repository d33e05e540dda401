import type { Runtime as RuntimeKind } from '../../protocol/types/resources.ts'
import type { Logger } from '../log/logger.ts'
import { createDockerRuntime, type DockerRuntimeInit } from './docker/createDockerRuntime.ts'
import { RuntimeNotEnabledError } from './errors.ts'
import { createProcessRuntime, type ProcessRuntimeInit } from './process/createProcessRuntime.ts'
import type { RunnableJob, RunOptions, RunResult, Runtime } from './runtime.ts'
import { createWasmRuntime, type WasmRuntimeInit } from './wasm/createWasmRuntime.ts'

export type RuntimesInit = {
  /** Where runs get their folders (each runtime's `workRoot`). */
  workRoot: string
  /** Exactly the runtimes to build and start; a provider names them (`--runtimes`). */
  kinds: readonly RuntimeKind[]
  wasm?: Omit<WasmRuntimeInit, 'workRoot'> | undefined
  process?: Omit<ProcessRuntimeInit, 'workRoot'> | undefined
  docker?: Omit<DockerRuntimeInit, 'workRoot'> | undefined
}

/** The runtimes a provider offers, behind one `run`. */
export type Runtimes = {
  /** The runtimes started, for the provider's ask: after `start`, every kind named. */
  readonly kinds: RuntimeKind[]
  /** Each started runtime by kind, as the provider's deal handling reads them. */
  readonly byKind: Partial<Record<RuntimeKind, Runtime>>
  /** @throws RuntimeNotEnabledError */
  get(kind: RuntimeKind): Runtime
  /**
   * Starts every runtime named; each checks that it can work (bubblewrap runs, an
   * engine answers). All or nothing: the first that cannot start stops the others
   * and its error is thrown, so a provider never advertises a runtime it cannot run.
   */
  start(options?: { signal?: AbortSignal | undefined }): Promise<void>
  stop(): Promise<void>
  /** Runs a job on the runtime its manifest names. @throws RuntimeNotEnabledError */
  run(job: RunnableJob, options?: RunOptions): Promise<RunResult>
}

const builders: { [K in RuntimeKind]: (init: RuntimesInit, components: { logger?: Logger | undefined }) => Runtime } = {
  wasm: (init, components) => createWasmRuntime({ ...init.wasm, workRoot: init.workRoot }, components),
  process: (init, components) => createProcessRuntime({ ...init.process, workRoot: init.workRoot }, components),
  docker: (init, components) => createDockerRuntime({ ...init.docker, workRoot: init.workRoot }, components),
}

/**
 * The one factory for a provider's runtimes: builds each kind named in
 * `init.kinds` with its options, and nothing else.
 *
 * @example
 * const runtimes = createRuntimes({ workRoot: join(home, 'work'), kinds: ['wasm', 'process'] })
 * await runtimes.start()
 * const result = await runtimes.run(job, { signal, onLog })
 */
export function createRuntimes(init: RuntimesInit, components: { logger?: Logger | undefined } = {}): Runtimes {
  const built = new Map<RuntimeKind, Runtime>([...new Set(init.kinds)].map((kind) => [kind, builders[kind](init, components)]))
  const started = new Map<RuntimeKind, Runtime>()
  const get = (kind: RuntimeKind) => {
    const runtime = started.get(kind)
    if (!runtime) throw new RuntimeNotEnabledError({ runtime: kind })
    return runtime
  }
  const stop = async () => {
    const running = [...started.values()]
    started.clear()
    await Promise.all(running.map((runtime) => runtime.stop()))
  }
  return {
    get kinds() {
      return [...started.keys()]
    },
    get byKind() {
      return Object.fromEntries(started)
    },
    get,
    async start(options) {
      try {
        for (const [kind, runtime] of built) {
          await runtime.start(options)
          started.set(kind, runtime)
        }
      } catch (error) {
        await stop()
        throw error
      }
    },
    stop,
    run: (job, options) => get(job.manifest.runtime).run(job, options),
  }
}
