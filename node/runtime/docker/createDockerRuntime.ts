import { mkdir } from 'node:fs/promises'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import type Docker from 'dockerode'
import { type Logger, logger as createLogger } from '../../log/logger.ts'
import { DockerUnavailableError, RuntimeStoppedError, WrongRuntimeError } from '../errors.ts'
import { KILLED_EXIT_CODE, REFUSED_EXIT_CODE, rlimitFailure } from '../exitStatus.ts'
import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'
import { OutputCollector } from '../outputCollector.ts'
import { prepareWorkFolder } from '../prepareWorkFolder.ts'
import type { RunnableJob, RunOptions, RunResult, Runtime } from '../runtime.ts'
import { superviseJob } from '../superviseJob.ts'
import { chownTree } from '../process/chownTree.ts'
import { dockerContainerOptions } from './dockerContainerOptions.ts'
import { dockerSocketPath } from './dockerSocketPath.ts'

export type DockerRuntimeInit = {
  /** Where each run gets its own folder (bound into the container). */
  workRoot: string
  /** The engine's socket. Default: from `host`, else `/var/run/docker.sock`. */
  socketPath?: string | undefined
  /** A `DOCKER_HOST`-style address (`unix:///path`), used when `socketPath` is not given. */
  host?: string | undefined
  /** Pull an image the engine does not have. Default false: providers choose what they host. */
  pullImages?: boolean | undefined
  /** How often limits are measured while a job runs, ms. Default 250. */
  pollMs?: number | undefined
}

export type DockerRuntimeComponents = {
  logger?: Logger | undefined
  /** An engine client; one for `socketPath` by default. */
  docker?: Docker | undefined
}

/** The uid a container job runs as when the provider is root: nobody. */
const NOBODY = 65534

/**
 * The `docker` runtime: the job's image through the Docker Engine API
 * (dockerode), network off, GPUs by device request; see
 * `dockerContainerOptions` for the limits. Opt-in; `start` fails with
 * DockerUnavailableError where no engine answers.
 *
 * @example
 * const runtime = createDockerRuntime({ workRoot: join(home, 'jobs') })
 * await runtime.start()
 */
export function createDockerRuntime(init: DockerRuntimeInit, components: DockerRuntimeComponents = {}): Runtime {
  const pollMs = init.pollMs ?? 250
  const log = components.logger ?? createLogger('runtime:docker')
  // dockerode (and ssh2 beneath it) loads only for providers that start this runtime.
  let docker: Docker = components.docker as Docker
  const running = new Set<Docker.Container>()
  let started = false

  const ensureImage = async (image: string, signal?: AbortSignal): Promise<boolean> => {
    try {
      await docker.getImage(image).inspect()
      return true
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 404 || !init.pullImages) return false
    }
    const stream = await docker.pull(image, { abortSignal: signal })
    await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())))
    return true
  }

  const run = async (job: RunnableJob, { signal, onLog }: RunOptions = {}): Promise<RunResult> => {
    if (!started) throw new RuntimeStoppedError({ runtime: 'docker' })
    const { manifest } = job
    if (manifest.runtime !== 'docker') throw new WrongRuntimeError({ expected: 'docker', actual: manifest.runtime })
    const { limits } = manifest
    const begin = performance.now()
    const { workDir, outputDir, bundleBytes } = await prepareWorkFolder({ workRoot: init.workRoot, jobId: job.id, manifest, bundleDir: job.bundleDir, take: job.takeBundle, signal })
    const empty = new Uint8Array(0)
    if (!(await ensureImage(manifest.entry, signal)))
      return {
        exitCode: REFUSED_EXIT_CODE,
        stdout: empty,
        stderr: empty,
        workDir,
        outputDir,
        failure: jobFailure(JobFailureName.InvalidEntry, `the image ${manifest.entry} is not on this provider`),
        usage: { wallMs: performance.now() - begin },
      }
    const asRoot = process.getuid?.() === 0
    if (asRoot) await chownTree(workDir, NOBODY, NOBODY)
    const user = asRoot ? `${NOBODY}:${NOBODY}` : `${process.getuid?.()}:${process.getgid?.()}`
    const container = await docker.createContainer(dockerContainerOptions({ jobId: job.id, manifest, workDir, user, gpus: job.gpus }))
    running.add(container)
    try {
      const kill = () => void container.kill({ signal: 'SIGKILL' }).catch(() => {})
      const supervisor = superviseJob({ limits, workDir, baseBytes: bundleBytes, kill, pollMs, signal })
      const output = new OutputCollector(limits.outputMiB * 2 ** 20, onLog, () =>
        supervisor.fail(jobFailure(JobFailureName.OutputLimitExceeded, `wrote more than limits.outputMiB (${limits.outputMiB} MiB) to stdout and stderr`)),
      )
      const sink = (stream: 'stdout' | 'stderr') =>
        new Writable({
          write(chunk: Buffer, _encoding, callback) {
            output.push(stream, chunk)
            callback()
          },
        })
      const attached = await container.attach({ stream: true, stdout: true, stderr: true })
      const drained = new Promise<void>((resolve) => attached.once('end', resolve).once('close', resolve))
      docker.modem.demuxStream(attached, sink('stdout'), sink('stderr'))
      await container.start()
      const waited = (await container.wait()) as { StatusCode: number }
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000))])
      await supervisor.finish()
      const state = (await container.inspect()).State
      const exitCode = supervisor.failure ? KILLED_EXIT_CODE : waited.StatusCode
      const failure = supervisor.failure ?? judge(exitCode, state.OOMKilled, limits)
      if (failure) log('job %s stopped: %s (%s)', job.id, failure.name, failure.message)
      return {
        exitCode,
        stdout: output.bytes('stdout'),
        stderr: output.bytes('stderr'),
        workDir,
        outputDir,
        failure,
        usage: { wallMs: performance.now() - begin },
      }
    } finally {
      running.delete(container)
      await container.remove({ force: true }).catch((error: unknown) => log.error('could not remove container of %s: %s', job.id, error))
      if (asRoot) await chownTree(workDir, process.getuid!(), process.getgid!()).catch(() => {})
    }
  }

  return {
    kind: 'docker',
    async start({ signal } = {}) {
      await mkdir(init.workRoot, { recursive: true })
      const socketPath = init.socketPath ?? dockerSocketPath(init.host)
      if (!components.docker) {
        const { default: Dockerode } = await import('dockerode')
        docker = new Dockerode({ socketPath })
      }
      try {
        signal?.throwIfAborted()
        await docker.ping()
      } catch (cause) {
        throw new DockerUnavailableError({ socketPath, cause })
      }
      started = true
    },
    async stop() {
      started = false
      await Promise.all([...running].map((container) => container.kill({ signal: 'SIGKILL' }).catch(() => {})))
    },
    run,
  }
}

function judge(exitCode: number, oomKilled: boolean, limits: RunnableJob['manifest']['limits']): JobFailure | undefined {
  if (oomKilled) return jobFailure(JobFailureName.MemoryLimitExceeded, `exceeded limits.memoryMiB (${limits.memoryMiB} MiB)`)
  return rlimitFailure(exitCode, limits)
}
