import { z } from 'zod'
import type { Gpu, Requirements, Resources } from '../types/resources.ts'
import { gpuModel, runtime, uint32 } from './primitives.ts'

/** Most GPU entries in one resource list. */
export const MAX_GPU_ENTRIES = 8

/** A GPU entry of an advertised resource list. */
export const gpuSchema = z.strictObject({
  model: gpuModel.min(1, 'expected a GPU model'),
  vramMiB: uint32,
  count: uint32,
}) satisfies z.ZodType<Gpu>

/** A GPU requirement: an empty model accepts any model. */
export const gpuRequirementSchema = z.strictObject({
  model: z.union([z.literal(''), gpuModel]),
  vramMiB: uint32,
  count: uint32.min(1),
}) satisfies z.ZodType<Gpu>

/** Advertised or free resources; one entry per GPU model. */
export const resourcesSchema = z
  .strictObject({
    cpuMillicores: uint32,
    memoryMiB: uint32,
    diskMiB: uint32,
    gpus: z.array(gpuSchema).max(MAX_GPU_ENTRIES),
  })
  .check((ctx) => {
    const seen = new Set<string>()
    ctx.value.gpus.forEach((gpu, index) => {
      if (seen.has(gpu.model))
        ctx.issues.push({
          code: 'custom',
          message: `duplicate GPU model "${gpu.model}"`,
          path: ['gpus', index, 'model'],
          input: gpu.model,
        })
      seen.add(gpu.model)
    })
  }) satisfies z.ZodType<Resources>

/** A job's requirements. */
export const requirementsSchema = z.strictObject({
  cpuMillicores: uint32,
  memoryMiB: uint32,
  diskMiB: uint32,
  gpus: z.array(gpuRequirementSchema).max(MAX_GPU_ENTRIES),
  runtime,
}) satisfies z.ZodType<Requirements>
