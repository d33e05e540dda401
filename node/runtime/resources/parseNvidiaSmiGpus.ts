import { NvidiaSmiOutputError } from '../errors.ts'
import { gpuModelName } from './gpuModelName.ts'

/** One GPU as detected on this machine. */
export type DetectedGpu = {
  /** nvidia-smi's index (the order CUDA uses by default). */
  index: number
  /** Stable id, e.g. `GPU-5ad1…`; what `CUDA_VISIBLE_DEVICES` and device requests take. */
  uuid: string
  /** The name the driver reports, e.g. `NVIDIA H100 80GB HBM3`. */
  name: string
  /** The market's model name, e.g. `nvidia-h100-80gb`. */
  model: string
  /** memory.total, MiB. */
  vramMiB: number
  /** Minor number of `/dev/nvidia<minor>`, when the driver's /proc entry tells it; may differ from `index`. */
  minor?: number | undefined
}

/**
 * Reads the output of
 * `nvidia-smi --query-gpu=index,name,memory.total,uuid --format=csv,noheader,nounits`.
 *
 * @param stdout - The command's standard output.
 * @returns The GPUs in index order; none for an empty output or "No devices were found".
 * @throws NvidiaSmiOutputError for a line that is not `index, name, memory, uuid`.
 * @example
 * parseNvidiaSmiGpus('0, NVIDIA H100 80GB HBM3, 81559, GPU-2f…\n') // [{ index: 0, model: 'nvidia-h100-80gb', … }]
 */
export function parseNvidiaSmiGpus(stdout: string): DetectedGpu[] {
  const gpus: DetectedGpu[] = []
  for (const raw of stdout.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === '' || /^no devices were found/i.test(line)) continue
    const fields = line.split(',').map((field) => field.trim())
    if (fields.length < 4) throw new NvidiaSmiOutputError({ line, reason: `expected 4 fields, got ${fields.length}` })
    // A name could hold a comma; index, memory and uuid cannot, so they are read from the ends.
    const index = Number(fields[0])
    const uuid = fields[fields.length - 1]!
    const memory = fields[fields.length - 2]!
    const name = fields.slice(1, -2).join(', ')
    if (!/^\d+$/.test(fields[0]!)) throw new NvidiaSmiOutputError({ line, reason: `index "${fields[0]}" is not a number` })
    if (!/^(GPU|MIG)-[0-9A-Za-z-]+$/.test(uuid)) throw new NvidiaSmiOutputError({ line, reason: `"${uuid}" is not a GPU uuid` })
    // "[N/A]" and friends: the GPU exists but its memory is unknown; it is listed with 0 MiB.
    const vramMiB = /^\d+$/.test(memory) ? Number(memory) : 0
    gpus.push({ index, uuid, name, model: gpuModelName(name, vramMiB), vramMiB })
  }
  return gpus.sort((a, b) => a.index - b.index)
}
