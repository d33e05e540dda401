// Memory sizes GPUs are sold with, in GiB. Drivers report a little less than the
// nominal size (reserved memory, ECC), so the nominal size is the smallest of
// these at or above what the driver reports.
const NOMINAL_GIB = [1, 2, 3, 4, 5, 6, 8, 10, 11, 12, 16, 20, 24, 32, 40, 48, 64, 80, 94, 96, 128, 141, 144, 180, 192, 256, 288]

// Words that say how a GPU is packaged or branded, not which GPU it is.
const DROPPED_WORDS = /^(nvidia|geforce|tesla|quadro|gpu|pcie|nvl|nvlink|sxm\d*|hbm\d*e?|\d+gb)$/

/**
 * The market's model name for a GPU as `nvidia-smi` reports it: vendor, model,
 * nominal memory, e.g. `nvidia-h100-80gb`. Branding (`GeForce`, `Tesla`),
 * packaging (`SXM4`, `PCIe`, `HBM3`) and the driver's own memory wording are
 * dropped; the memory comes from the reported VRAM, so `NVIDIA H200` with
 * 143771 MiB becomes `nvidia-h200-141gb` even though its name has no size.
 *
 * @param name - The name column of `nvidia-smi --query-gpu=name`.
 * @param vramMiB - The memory.total column, MiB.
 * @returns The normalized model name.
 * @example
 * gpuModelName('NVIDIA A100-SXM4-40GB', 40960) // 'nvidia-a100-40gb'
 * gpuModelName('NVIDIA GeForce RTX 4090', 24564) // 'nvidia-rtx-4090-24gb'
 */
export function gpuModelName(name: string, vramMiB: number): string {
  const words = name
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== '' && !DROPPED_WORDS.test(word))
  const gib = nominalGib(vramMiB)
  return ['nvidia', ...words, ...(gib > 0 ? [`${gib}gb`] : [])].join('-')
}

/**
 * The nominal memory size, GiB, of a GPU whose driver reports `vramMiB`.
 *
 * @returns 0 when the driver reports no memory.
 */
export function nominalGib(vramMiB: number): number {
  if (!(vramMiB > 0)) return 0
  const gib = vramMiB / 1024
  return NOMINAL_GIB.find((size) => size >= gib - 0.01) ?? Math.ceil(gib)
}
