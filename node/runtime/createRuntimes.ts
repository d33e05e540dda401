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
  /** The wasm runtime: on unless `false`. */
  wasm?: Omit<WasmRuntimeInit, 'workRoot'> | false | undefined
  /** The process runtime: off unless given (providers opt in). */
  process?: Omit<ProcessRuntimeInit, 'workRoot'> | undefined
  /** The docker runtime: off unless given (providers opt in). */
  docker?: Omit<DockerRuntimeInit, 'workRoot'> | undefined
}

/** The runtimes a provider offers, behind one `run`. */
export type Runtimes = {
  /** The runtimes enabled, for the provider's ask. */
  readonly kinds: RuntimeKind[]
  /** @throws RuntimeNotEnabledError */
  get(kind: RuntimeKind): Runtime
  start(options?: { signal?: AbortSignal | undefined }): Promise<void>
  stop(): Promise<void>
  /** Runs a job on the runtime its manifest names. @throws RuntimeNotEnabledError */
  run(job: RunnableJob, options?: RunOptions): Promise<RunResult>
}

/**
 * Creates the runtimes a provider has opted in to: `wasm` by default, `process`
 * and `docker` only when configured.
 *
 * @example
 * const runtimes = createRuntimes({ workRoot: join(home, 'jobs'), process: {} })
 * await runtimes.start()
 * const result = await runtimes.run(job, { signal, onLog })
 */
export function createRuntimes(init: RuntimesInit, components: { logger?: Logger | undefined } = {}): Runtimes {
  const enabled = new Map<RuntimeKind, Runtime>()
  if (init.wasm !== false) enabled.set('wasm', createWasmRuntime({ ...init.wasm, workRoot: init.workRoot }, components))
  if (init.process) enabled.set('process', createProcessRuntime({ ...init.process, workRoot: init.workRoot }, components))
  if (init.docker) enabled.set('docker', createDockerRuntime({ ...init.docker, workRoot: init.workRoot }, components))
  const get = (kind: RuntimeKind) => {
    const runtime = enabled.get(kind)
    if (!runtime) throw new RuntimeNotEnabledError({ runtime: kind })
    return runtime
  }
  return {
    kinds: [...enabled.keys()],
    get,
    async start(options) {
      for (const runtime of enabled.values()) await runtime.start(options)
    },
    async stop() {
      await Promise.all([...enabled.values()].map((runtime) => runtime.stop()))
    },
    run: (job, options) => get(job.manifest.runtime).run(job, options),
  }
}
