import type { JobManifest } from '../../protocol/job/jobManifestSchema.ts'
import type { Runtime as RuntimeKind } from '../../protocol/types/resources.ts'
import type { JobFailure } from './jobFailure.ts'
import type { DetectedGpu } from './resources/parseNvidiaSmiGpus.ts'

/** A job ready to run: its manifest, the folder holding its bundle, and what the ledger gave it. */
export type RunnableJob = {
  /** The job's id (deal id or job hash); names its work folder and its logs. */
  id: string
  manifest: JobManifest
  /** The folder holding the job bundle's files; copied, never written to, unless `takeBundle`. */
  bundleDir: string
  /**
   * The run may take `bundleDir` as its own folder (moved, not copied): for a
   * caller that unpacked a fresh copy for this run. Saves copying large inputs.
   */
  takeBundle?: boolean | undefined
  /** GPUs reserved for this job by the capacity ledger; none when absent. */
  gpus?: readonly DetectedGpu[] | undefined
}

/** A piece of live output. */
export type JobLog = {
  stream: 'stdout' | 'stderr'
  data: Uint8Array
}

/** What every `run` accepts. */
export type RunOptions = {
  /** Aborting stops the job (failure `Aborted`). */
  signal?: AbortSignal | undefined
  /** Receives output as the job writes it, up to the output cap. */
  onLog?: ((log: JobLog) => void) | undefined
}

/** Resource use of one run, as far as the runtime could measure it. */
export type RunUsage = {
  wallMs: number
  /** CPU time of the job's main process, ms, when known. */
  cpuMs?: number | undefined
  /** Peak memory seen, bytes (wasm: linear memory at the end; process: largest VmPeak sampled). */
  memoryBytes?: number | undefined
}

/** The outcome of one run. `failure` is set when the runtime stopped or refused the job. */
export type RunResult = {
  /** The job's exit status; `128 + n` when it ended by signal `n` (137 when the runtime killed it). */
  exitCode: number
  /** Captured stdout, at most the output cap. */
  stdout: Uint8Array
  /** Captured stderr, at most the output cap. */
  stderr: Uint8Array
  /** The run's private copy of the bundle, where the job ran. */
  workDir: string
  /** The output folder inside `workDir`. */
  outputDir: string
  failure?: JobFailure | undefined
  usage: RunUsage
}

/**
 * A job sandbox. Each `run` is independent: a job that fails, however it
 * fails, leaves the runtime serving the next one.
 */
export interface Runtime {
  readonly kind: RuntimeKind
  /** Prepares what runs need (a spare process, a sandbox check, an engine connection). */
  start(options?: { signal?: AbortSignal | undefined }): Promise<void>
  /**
   * Checks, before any deal is signed, that this runtime has what the job needs
   * beyond its bundle (for docker: the image its manifest names by digest, loaded
   * from the archive the job carries). `job.bundleDir` is the unpacked bundle.
   *
   * @throws A named error saying why the job cannot run here (DockerImageMismatchError, …).
   */
  admit(job: RunnableJob, options?: { signal?: AbortSignal | undefined }): Promise<void>
  /** Stops running jobs and releases what `start` prepared. */
  stop(): Promise<void>
  /**
   * Runs a job to its end, within its manifest's limits.
   *
   * @throws Only for provider-side faults (sandbox missing, spawn failure); everything the job does is in the result.
   */
  run(job: RunnableJob, options?: RunOptions): Promise<RunResult>
}
