import { z } from 'zod'
import { gpuModel, runtime } from '../schemas/primitives.ts'
import { bundlePathProblem } from './bundlePath.ts'

/** The manifest's file name at the root of every job bundle. */
export const JOB_MANIFEST_FILE = 'allot.job.json'

/** The manifest format this implementation reads and writes. */
export const JOB_MANIFEST_VERSION = 1

/** Longest a job may be given to run, in seconds (one week). */
export const MAX_JOB_SECONDS = 7 * 24 * 3600

/** Largest amount of memory, output or disk a manifest may name, in MiB (16 TiB). */
export const MAX_JOB_MIB = 16 * 1024 * 1024

const bundlePath = z.string().check((ctx) => {
  const problem = bundlePathProblem(ctx.value)
  if (problem) ctx.issues.push({ code: 'custom', message: `path ${problem}`, input: ctx.value })
})

// NUL cannot cross an execve(2) boundary; refusing it here keeps the failure at parse time.
const noNul = (what: string) => z.string().max(4096).regex(/^[^\u0000]*$/, `${what} must not contain NUL`)

const seconds = z.number().int().min(1).max(MAX_JOB_SECONDS)
const mebibytes = z.number().int().min(1).max(MAX_JOB_MIB)

/** What the sandbox enforces while the job runs. */
export const jobLimitsSchema = z.strictObject({
  /** Wall-clock time from start to end, seconds. */
  wallSeconds: seconds,
  /** CPU time, seconds (per process for the `process` runtime). */
  cpuSeconds: seconds,
  /** Memory, MiB (for `wasm`, the most linear memory the module may grow to). */
  memoryMiB: mebibytes,
  /** stdout and stderr together, and separately the files the job writes, MiB. */
  outputMiB: mebibytes,
  /** Processes the job may run at once (ignored by `wasm`, which is one). */
  processes: z.number().int().min(1).max(4096).default(16),
})

/** A job's GPU requirement. */
export const jobGpuSchema = z.strictObject({
  /** Normalized model, e.g. `nvidia-h100-80gb`; any model when absent. */
  model: gpuModel.min(1).optional(),
  /** Least memory per GPU, MiB. */
  vramMiB: z.number().int().min(0).max(MAX_JOB_MIB).optional(),
  count: z.number().int().min(1).max(64),
})

/** What the job reserves on the provider (and what its bid asks for). */
export const jobResourcesSchema = z.strictObject({
  cpuMillicores: z.number().int().min(1).max(1_000_000),
  memoryMiB: mebibytes,
  diskMiB: z.number().int().min(0).max(MAX_JOB_MIB),
  gpu: jobGpuSchema.optional(),
})

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name')

/**
 * The job manifest, `allot.job.json` (see docs/jobs.md).
 *
 * `entry` is the module (`wasm`: a bundle path), the command (`process`: a bundle
 * path, or an absolute path inside the sandbox such as `/bin/sh`) or the image
 * (`docker`). Unknown fields are refused, so a newer manifest is never half-read.
 */
export const jobManifestSchema = z
  .strictObject({
    version: z.literal(JOB_MANIFEST_VERSION),
    runtime,
    entry: z.string().min(1).max(1024),
    args: z.array(noNul('an argument')).max(1024).default([]),
    env: z.record(envName, noNul('a value')).default({}),
    inputs: z.array(bundlePath).max(10_000).default([]),
    output: bundlePath.default('output'),
    /** `docker` only: a `docker save` archive in the bundle holding the image `entry` names by id. */
    image: bundlePath.optional(),
    limits: jobLimitsSchema,
    resources: jobResourcesSchema,
  })
  .check((ctx) => {
    const manifest = ctx.value
    const issue = (path: (string | number)[], message: string) =>
      ctx.issues.push({ code: 'custom', message, path, input: manifest })
    const entryProblem = entryRule(manifest.runtime, manifest.entry)
    if (entryProblem) issue(['entry'], entryProblem)
    if (Object.keys(manifest.env).length > 256) issue(['env'], 'more than 256 variables')
    if (manifest.limits.memoryMiB > manifest.resources.memoryMiB) issue(['limits', 'memoryMiB'], 'exceeds resources.memoryMiB')
    if (manifest.image !== undefined && manifest.runtime !== 'docker') issue(['image'], 'only docker jobs carry an image archive')
    if (manifest.runtime === 'wasm' && manifest.resources.gpu) issue(['resources', 'gpu'], 'the wasm runtime cannot use GPUs')
    const output = `${manifest.output}/`
    manifest.inputs.forEach((input, index) => {
      if (input === manifest.output || input.startsWith(output)) issue(['inputs', index], 'is inside the output folder')
    })
  })

/** A parsed job manifest, defaults filled in. */
export type JobManifest = z.output<typeof jobManifestSchema>

/** A manifest as written in `allot.job.json`, before defaults. */
export type JobManifestInput = z.input<typeof jobManifestSchema>

/** A job's limits. */
export type JobLimits = JobManifest['limits']

/** A job's resource requirements. */
export type JobResources = JobManifest['resources']

/** A job's GPU requirement. */
export type JobGpu = NonNullable<JobResources['gpu']>

function entryRule(kind: JobManifest['runtime'], entry: string): string | undefined {
  switch (kind) {
    case 'wasm': {
      const problem = bundlePathProblem(entry)
      return problem ? `the module path ${problem}` : undefined
    }
    case 'process': {
      if (!entry.startsWith('/')) {
        const problem = bundlePathProblem(entry)
        return problem ? `the command path ${problem}` : undefined
      }
      const problem = bundlePathProblem(entry.slice(1))
      return problem ? `the absolute command path ${problem}` : undefined
    }
    case 'docker':
      // An image reference: [registry/]name[:tag][@digest]; no spaces or controls.
      return /^[A-Za-z0-9][A-Za-z0-9._\-/:@]*$/.test(entry) ? undefined : 'expected a Docker image reference'
  }
}
