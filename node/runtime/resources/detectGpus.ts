import { execFile } from 'node:child_process'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { logger } from '../../log/logger.ts'
import { GpuDriverError } from '../errors.ts'
import { type DetectedGpu, parseNvidiaSmiGpus } from './parseNvidiaSmiGpus.ts'

/** The query detection runs; a stand-in `nvidia-smi` must answer it. */
export const NVIDIA_SMI_QUERY = ['--query-gpu=index,name,memory.total,uuid', '--format=csv,noheader,nounits'] as const

export type DetectGpusParameters = {
  /** The binary to run, looked up on `env.PATH`. Default `nvidia-smi`. */
  command?: string | undefined
  /** The environment it runs with (and whose PATH finds it). Default `process.env`. */
  env?: NodeJS.ProcessEnv | undefined
  /** Give up after this long, ms. Default 15 000 (a driver that hangs is reported, not waited for). */
  timeoutMs?: number | undefined
  /** Where the driver lists GPUs with their device minor numbers. Default `/proc/driver/nvidia/gpus`. */
  procDir?: string | undefined
  signal?: AbortSignal | undefined
}

export type DetectGpusReturnType = {
  gpus: DetectedGpu[]
  /** Why detection found nothing although `nvidia-smi` exists (e.g. `GpuDriverError`). */
  warning?: Error | undefined
}

const log = logger('runtime:gpus')

/**
 * Detects NVIDIA GPUs with `nvidia-smi`. A machine without `nvidia-smi` simply
 * has no GPUs; a driver that fails is reported as a warning (`GpuDriverError`)
 * with no GPUs, never as a guess.
 *
 * @returns The GPUs in index order, and a warning when `nvidia-smi` failed.
 * @example
 * const { gpus, warning } = await detectGpus()
 */
export async function detectGpus(parameters: DetectGpusParameters = {}): Promise<DetectGpusReturnType> {
  const { command = 'nvidia-smi', env = process.env, timeoutMs = 15_000, procDir = '/proc/driver/nvidia/gpus', signal } = parameters
  const run = await new Promise<{ stdout: string; stderr: string; error: (Error & { code?: unknown }) | null }>((resolve) => {
    execFile(command, [...NVIDIA_SMI_QUERY], { env, timeout: timeoutMs, signal, maxBuffer: 1 << 20, encoding: 'utf8' }, (error, stdout, stderr) =>
      resolve({ stdout, stderr, error }),
    )
  })
  signal?.throwIfAborted()
  if (run.error?.code === 'ENOENT') {
    log('%s not found: no GPUs', command)
    return { gpus: [] }
  }
  const output = `${run.stdout}${run.stderr}`
  if (/no devices were found/i.test(output)) return { gpus: [] }
  if (run.error) {
    const exitCode = typeof run.error.code === 'number' ? run.error.code : null
    const warning = new GpuDriverError({ output, exitCode, cause: run.error })
    log.error('%s', warning.message)
    return { gpus: [], warning }
  }
  let gpus: DetectedGpu[]
  try {
    gpus = parseNvidiaSmiGpus(run.stdout)
  } catch (error) {
    // Some driver failures print their message and still exit 0.
    const warning = /has failed|couldn't communicate|driver/i.test(output) ? new GpuDriverError({ output, cause: error }) : (error as Error)
    log.error('%s', warning.message)
    return { gpus: [], warning }
  }
  const minors = await readDeviceMinors(procDir)
  return { gpus: gpus.map((gpu) => ({ ...gpu, minor: minors.get(gpu.uuid.toLowerCase()) })) }
}

// /dev/nvidia<N> is numbered by minor number, which need not match nvidia-smi's
// index; the driver's per-GPU information file pairs the two through the uuid.
async function readDeviceMinors(procDir: string): Promise<Map<string, number>> {
  const minors = new Map<string, number>()
  let entries: string[]
  try {
    entries = await readdir(procDir)
  } catch {
    return minors
  }
  for (const entry of entries) {
    try {
      const text = await readFile(join(procDir, entry, 'information'), 'utf8')
      const minor = /^Device Minor:\s*(\d+)/m.exec(text)?.[1]
      const uuid = /^GPU UUID:\s*(\S+)/m.exec(text)?.[1]
      if (minor && uuid) minors.set(uuid.toLowerCase(), Number(minor))
    } catch {
      // An unreadable entry leaves that GPU's minor unknown; the index is used instead.
    }
  }
  return minors
}
