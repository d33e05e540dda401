import { mkdir, statfs } from 'node:fs/promises'
import { availableParallelism, totalmem } from 'node:os'
import { detectGpus, type DetectGpusParameters } from './detectGpus.ts'
import type { DetectedGpu } from './parseNvidiaSmiGpus.ts'

/** What this machine has, before the provider decides how much of it to sell. */
export type DetectedResources = {
  cpuCores: number
  /** CPU as the market counts it: cores × 1000. */
  cpuMillicores: number
  memoryMiB: number
  /** Space available to an unprivileged writer on the file system of the home, MiB. */
  diskMiB: number
  gpus: DetectedGpu[]
  /** Things the provider should know: a failing GPU driver, for instance. */
  warnings: Error[]
}

export type DetectResourcesParameters = {
  /** The node's home; its file system is where jobs are written. */
  home: string
  /** Passed to GPU detection (command, env, timeout). */
  gpus?: Omit<DetectGpusParameters, 'signal'> | undefined
  signal?: AbortSignal | undefined
}

/**
 * Detects CPU cores, memory, disk space under the home and NVIDIA GPUs.
 *
 * @returns The detected totals; the provider sells some or all of them.
 * @example
 * const found = await detectResources({ home: '/home/me/.allot' })
 */
export async function detectResources({ home, gpus: gpuOptions, signal }: DetectResourcesParameters): Promise<DetectedResources> {
  await mkdir(home, { recursive: true })
  const [disk, detected] = await Promise.all([statfs(home), detectGpus({ ...gpuOptions, signal })])
  const cpuCores = availableParallelism()
  return {
    cpuCores,
    cpuMillicores: cpuCores * 1000,
    memoryMiB: Math.floor(totalmem() / 2 ** 20),
    diskMiB: Math.floor((disk.bavail * disk.bsize) / 2 ** 20),
    gpus: detected.gpus,
    warnings: detected.warning ? [detected.warning] : [],
  }
}
