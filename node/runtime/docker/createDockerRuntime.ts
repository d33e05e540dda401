import { createReadStream } from 'node:fs'
import { mkdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import type Docker from 'dockerode'
import { type Logger, logger as createLogger } from '../../log/logger.ts'
import { BaseError } from '../../../protocol/errors/base.ts'
import {
  DockerImageMismatchError,
  DockerImageMissingError,
  DockerImageTooLargeError,
  DockerImageUnpinnedError,
  DockerUnavailableError,
  RuntimeStoppedError,
  WrongRuntimeError,
} from '../errors.ts'
import { KILLED_EXIT_CODE, REFUSED_EXIT_CODE, rlimitFailure } from '../exitStatus.ts'
import { type JobFailure, JobFailureName, jobFailure } from '../jobFailure.ts'
import { OutputCollector } from '../outputCollector.ts'
import { prepareWorkFolder } from '../prepareWorkFolder.ts'
import type { RunnableJob, RunOptions, RunResult, Runtime } from '../runtime.ts'
import { superviseJob } from '../superviseJob.ts'
import { chownTree } from '../process/chownTree.ts'
import { dockerContainerOptions, JOB_LABEL, OWNER_LABEL } from './dockerContainerOptions.ts'
import { readImageArchiveId } from './readImageArchiveId.ts'
import { readImageLedger, writeImageLedger } from './imageLedger.ts'
import { dockerSocketPath } from './dockerSocketPath.ts'
import { type CgroupEventsPoller, type CgroupEventsWatch, cgroupEventFilesOf, type CgroupLayout, predictedCgroupEventFiles, startCgroupEventsPoller } from './watchCgroupEvents.ts'

export type DockerRuntimeInit = {
  /** Where each run gets its own folder (bound into the container). */
  workRoot: string
  /** The engine's socket. Default: from `host`, else `/var/run/docker.sock`. */
  socketPath?: string | undefined
  /** A `DOCKER_HOST`-style address (`unix:///path`), used when `socketPath` is not given. */
  host?: string | undefined
  /** Pull an image named `name@sha256:…` that the engine does not have and the job does not carry. Default false. */
  pullImages?: boolean | undefined
  /** Largest image archive a job may carry, bytes. Default 1 GiB. */
  maxImageBytes?: number | undefined
  /** How often limits are measured while a job runs, ms. Default 250. */
  pollMs?: number | undefined
  /**
   * Bounds on the images this runtime has loaded from job archives or pulled:
   * past either, the least recently used are removed from the engine, never one
   * a running job uses, nor one that was there before. Default 16 images, 8 GiB.
   */
  imageCache?: { maxImages?: number | undefined; maxBytes?: number | undefined } | undefined
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
  const maxImageBytes = init.maxImageBytes ?? 2 ** 30
  // Containers carry the work root as their owner: a provider restarted after a crash removes
  // the containers its previous run left, and no other provider's.
  const owner = resolve(init.workRoot)
  const running = new Set<Docker.Container>()
  let started = false
  // Where the engine puts containers' cgroups, read at start: the cgroup-events watch finds a container's before it runs.
  let layout: CgroupLayout | undefined
  let poller: CgroupEventsPoller | undefined
  // Images this runtime brought to the engine, least recently used first, with their sizes;
  // and how many runs use each right now (counted from before their admission, so an
  // image is never removed between its load and its container's start).
  const maxImages = init.imageCache?.maxImages ?? 16
  const maxCachedBytes = init.imageCache?.maxBytes ?? 8 * 2 ** 30
  // Kept in the work root too: after a restart the images loaded before are still this runtime's to evict.
  const ledgerPath = join(init.workRoot, 'images.json')
  let cached = new Map<string, number>()
  const saveLedger = () => writeImageLedger(ledgerPath, cached).catch((error: unknown) => log.error('could not save the image ledger: %s', error))
  const inUse = new Map<string, number>()
  const touch = (image: string) => {
    const bytes = cached.get(image)
    if (bytes === undefined) return
    cached.delete(image)
    cached.set(image, bytes)
  }
  const remember = async (image: string) => {
    const { Size } = (await docker.getImage(image).inspect()) as { Size?: number }
    cached.delete(image)
    cached.set(image, Size ?? 0)
    await saveLedger()
  }
  const trimImages = async () => {
    let bytes = [...cached.values()].reduce((sum, size) => sum + size, 0)
    for (const [image, size] of [...cached]) {
      if (cached.size <= maxImages && bytes <= maxCachedBytes) break
      if (inUse.has(image)) continue
      try {
        await docker.getImage(image).remove()
        log('removed image %s (%d bytes), the least recently used', image, size)
      } catch (error) {
        // A container of someone else's may use it; it stays, and no longer counts as ours.
        log.error('could not remove image %s: %s', image, error)
      }
      cached.delete(image)
      bytes -= size
    }
    await saveLedger()
  }

  const hasImage = async (image: string): Promise<boolean> => {
    try {
      await docker.getImage(image).inspect()
      return true
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode === 404) return false
      throw error
    }
  }

  const admit = async (job: RunnableJob, { signal }: { signal?: AbortSignal | undefined } = {}) => {
    const { manifest } = job
    const image = manifest.entry
    const byId = /^sha256:[0-9a-f]{64}$/.test(image)
    if (!byId && !/@sha256:[0-9a-f]{64}$/.test(image)) throw new DockerImageUnpinnedError({ image })
    if (manifest.image !== undefined) {
      const archive = join(job.bundleDir, manifest.image)
      const size = (await stat(archive).catch(() => undefined))?.size
      if (size === undefined) throw new DockerImageMissingError({ image, cause: new Error(`the bundle has no ${manifest.image}`) })
      if (size > maxImageBytes) throw new DockerImageTooLargeError({ bytes: size, maxBytes: maxImageBytes })
      // Read before loading: an archive of another image never reaches the engine.
      const carried = await readImageArchiveId(archive)
      if (carried !== image) throw new DockerImageMismatchError({ expected: image, actual: carried })
      if (await hasImage(image)) return
      signal?.throwIfAborted()
      const stream = await docker.loadImage(createReadStream(archive), { quiet: true })
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())))
      if (!(await hasImage(image))) throw new DockerImageMismatchError({ expected: image, actual: 'an image the engine could not load' })
      await remember(image)
      await trimImages()
      return
    }
    if (await hasImage(image)) return
    if (!init.pullImages || byId) throw new DockerImageMissingError({ image })
    try {
      const stream = await docker.pull(image, { abortSignal: signal })
      await new Promise<void>((resolve, reject) => docker.modem.followProgress(stream, (error) => (error ? reject(error) : resolve())))
    } catch (cause) {
      throw new DockerImageMissingError({ image, cause })
    }
    await remember(image)
    await trimImages()
  }

  const removeOrphans = async () => {
    const left = await docker.listContainers({ all: true, filters: { label: [`${OWNER_LABEL}=${owner}`] } })
    for (const container of left) {
      await docker.getContainer(container.Id).remove({ force: true })
      log('removed container %s left by job %s', container.Id.slice(0, 12), container.Labels[JOB_LABEL])
    }
  }

  const run = async (job: RunnableJob, { signal, onLog }: RunOptions = {}): Promise<RunResult> => {
    if (!started) throw new RuntimeStoppedError({ runtime: 'docker' })
    const { manifest } = job
    if (manifest.runtime !== 'docker') throw new WrongRuntimeError({ expected: 'docker', actual: manifest.runtime })
    const begin = performance.now()
    const image = manifest.entry
    inUse.set(image, (inUse.get(image) ?? 0) + 1)
    try {
      const folder = await prepareWorkFolder({ workRoot: init.workRoot, jobId: job.id, manifest, bundleDir: job.bundleDir, take: job.takeBundle, signal })
      return await runInFolder(job, { ...folder, begin, signal, onLog })
    } finally {
      const left = inUse.get(image)! - 1
      if (left > 0) inUse.set(image, left)
      else inUse.delete(image)
      touch(image)
      await trimImages().catch((error: unknown) => log.error('could not trim the image cache: %s', error))
    }
  }

  type Folder = { workDir: string; outputDir: string; bundleBytes: number; begin: number; signal?: AbortSignal | undefined; onLog: RunOptions['onLog'] }
  const runInFolder = async (job: RunnableJob, { workDir, outputDir, bundleBytes, begin, signal, onLog }: Folder): Promise<RunResult> => {
    const { manifest } = job
    const { limits } = manifest
    const empty = new Uint8Array(0)
    const admitted = await admit({ ...job, bundleDir: workDir }, { signal }).then(
      () => undefined,
      (error: Error) => error,
    )
    if (admitted)
      return {
        exitCode: REFUSED_EXIT_CODE,
        stdout: empty,
        stderr: empty,
        workDir,
        outputDir,
        failure: jobFailure(JobFailureName.InvalidEntry, admitted instanceof BaseError ? admitted.shortMessage : admitted.message),
        usage: { wallMs: performance.now() - begin },
      }
    const asRoot = process.getuid?.() === 0
    if (asRoot) await chownTree(workDir, NOBODY, NOBODY)
    const user = asRoot ? `${NOBODY}:${NOBODY}` : `${process.getuid?.()}:${process.getgid?.()}`
    const container = await docker.createContainer(dockerContainerOptions({ jobId: job.id, owner, manifest, workDir, user, gpus: job.gpus }))
    // A stop that came while the engine created the container has already emptied `running`.
    if (!started) {
      await container.remove({ force: true }).catch(() => {})
      throw new RuntimeStoppedError({ runtime: 'docker' })
    }
    running.add(container)
    let cgroup: CgroupEventsWatch | undefined
    try {
      const kill = () => void container.kill({ signal: 'SIGKILL' }).catch(() => {})
      // The engine refuses forks past PidsLimit without saying so: `cgroup` (below) reads the kernel's count of
      // refusals; where it cannot, the engine's task count, sampled, names a bomb that stays at the limit.
      const processLimit = () => jobFailure(JobFailureName.ProcessLimitExceeded, `reached limits.processes (${limits.processes} processes and threads)`)
      const check = async (): Promise<JobFailure | undefined> => {
        if (cgroup?.reading('forks')) return undefined
        const stats = (await container.stats({ stream: false, 'one-shot': true } as { stream: false }).catch(() => undefined)) as { pids_stats?: { current?: number } } | undefined
        if ((stats?.pids_stats?.current ?? 0) >= limits.processes) return processLimit()
        return undefined
      }
      const supervisor = superviseJob({ limits, workDir, baseBytes: bundleBytes, kill, pollMs, check, signal })
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
      // A refused fork stops the job; an OOM kill is judged at its end (the job may live on without the killed process).
      cgroup = poller!.watch(layout ? predictedCgroupEventFiles(container.id, layout) : {}, (event) => event === 'forks' && supervisor.fail(processLimit()))
      await container.start()
      const pid = await container.inspect().then(({ State }) => State.Pid, () => 0)
      if (pid) cgroup.add(await cgroupEventFilesOf(pid))
      // An abort or stop before the start found nothing running to kill: kill what just started.
      if (signal?.aborted || !started) kill()
      const waited = (await container.wait()) as { StatusCode: number }
      await cgroup.stop()
      log('job %s: refused forks %s', job.id, cgroup.reading('forks') ? 'read from its cgroup' : 'not readable here (the task count was sampled)')
      await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, 1000))])
      await supervisor.finish()
      const state = (await container.inspect()).State
      const exitCode = supervisor.failure ? KILLED_EXIT_CODE : waited.StatusCode
      // The engine's OOMKilled can be read before it has heard of the kill; the kernel's own count cannot.
      const failure = supervisor.failure ?? judge(exitCode, state.OOMKilled || cgroup.seen('oom'), limits)
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
      await cgroup?.stop()
      running.delete(container)
      await container.remove({ force: true }).catch((error: unknown) => log.error('could not remove container of %s: %s', job.id, error))
      if (asRoot) await chownTree(workDir, process.getuid!(), process.getgid!()).catch(() => {})
    }
  }

  return {
    kind: 'docker',
    admit,
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
      const info = (await docker.info().catch(() => ({}))) as { CgroupDriver?: string; CgroupVersion?: string }
      layout = info.CgroupDriver && info.CgroupVersion ? { driver: info.CgroupDriver, version: info.CgroupVersion } : undefined
      await poller?.close()
      poller = await startCgroupEventsPoller()
      await removeOrphans()
      // Images removed by hand while the provider was down are no longer counted.
      const remembered = await readImageLedger(ledgerPath)
      cached = new Map()
      for (const [image, size] of remembered) if (await hasImage(image)) cached.set(image, size)
      started = true
    },
    async stop() {
      started = false
      // Removed here, not only in each run's cleanup: a stopped provider leaves no container behind.
      await Promise.all([...running].map((container) => container.remove({ force: true }).catch(() => {})))
      // Runs still ending read nothing more: their containers are gone.
      await poller?.close()
    },
    run,
  }
}

function judge(exitCode: number, oomKilled: boolean, limits: RunnableJob['manifest']['limits']): JobFailure | undefined {
  if (oomKilled) return jobFailure(JobFailureName.MemoryLimitExceeded, `exceeded limits.memoryMiB (${limits.memoryMiB} MiB)`)
  return rlimitFailure(exitCode, limits)
}
