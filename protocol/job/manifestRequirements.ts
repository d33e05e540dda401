import type { Requirements } from '../types/resources.ts'
import type { JobManifest } from './jobManifestSchema.ts'

/**
 * The market requirements a bid for this job carries: the manifest's resources
 * and runtime, its GPU as one requirement (an absent model accepts any model,
 * an absent VRAM any VRAM).
 *
 * @param manifest - A parsed manifest.
 * @returns The bid's `requirements`.
 */
export function manifestRequirements(manifest: JobManifest): Requirements {
  const { cpuMillicores, memoryMiB, diskMiB, gpu } = manifest.resources
  return {
    cpuMillicores,
    memoryMiB,
    diskMiB,
    gpus: gpu ? [{ model: gpu.model ?? '', vramMiB: gpu.vramMiB ?? 0, count: gpu.count }] : [],
    runtime: manifest.runtime,
  }
}
