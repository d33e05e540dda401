/**
 * Normalizes a GPU name as drivers report it into the market's model name:
 * lowercase, runs of other characters become one `-`, no leading or trailing `-`.
 * Memory size stays in the name when the driver puts it there, since models
 * with different memory are different offers.
 *
 * @param name - e.g. `NVIDIA H100 80GB HBM3`.
 * @returns e.g. `nvidia-h100-80gb-hbm3`.
 * @example
 * normalizeGpuModel('NVIDIA GeForce RTX 4090') // 'nvidia-geforce-rtx-4090'
 */
export function normalizeGpuModel(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
}
