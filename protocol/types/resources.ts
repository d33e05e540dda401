/** The job sandboxes a provider can run. */
export const runtimes = ['wasm', 'process', 'docker'] as const

/** A job sandbox: `wasm` (WASI), `process` (bubblewrap), `docker` (Docker Engine). */
export type Runtime = (typeof runtimes)[number]

/** GPUs of one model. */
export type Gpu = {
  /** Normalized model name, e.g. `nvidia-h100-80gb` (see `normalizeGpuModel`). */
  model: string
  /** Memory per GPU, MiB. */
  vramMiB: number
  /** Number of GPUs. */
  count: number
}

/** An amount of compute: capacity or a free part of it. */
export type Resources = {
  /** CPU in thousandths of a core. */
  cpuMillicores: number
  /** Memory, MiB. */
  memoryMiB: number
  /** Disk, MiB. */
  diskMiB: number
  /** GPUs by model; at most one entry per model. */
  gpus: Gpu[]
}

/**
 * What a job needs. A GPU requirement's `vramMiB` is a minimum, and an empty
 * `model` accepts any model.
 */
export type Requirements = {
  cpuMillicores: number
  memoryMiB: number
  diskMiB: number
  gpus: Gpu[]
  runtime: Runtime
}

/** The market an order or deal belongs to: it is part of every signature domain and topic. */
export type MarketParameters = {
  chainId: number
  /** Address of the market contract. */
  market: `0x${string}`
}
