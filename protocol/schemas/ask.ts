import { z } from 'zod'
import type { Ask, SignedAsk, SignedAskCancel } from '../types/ask.ts'
import { runtimes } from '../types/resources.ts'
import {
  address,
  chainId,
  gpuModel,
  peerId,
  runtime,
  signature,
  uint128String,
  uint32,
  uint48,
} from './primitives.ts'
import { MAX_GPU_ENTRIES, resourcesSchema } from './resources.ts'

/** Unit prices. */
export const unitPricesSchema = z.strictObject({
  cpu: uint128String,
  memory: uint128String,
  gpus: z
    .array(z.strictObject({ model: gpuModel.min(1, 'expected a GPU model'), price: uint128String }))
    .max(MAX_GPU_ENTRIES),
})

/** An ask, with the consistency rules a signature cannot express. */
export const askSchema = z
  .strictObject({
    provider: address,
    peerId,
    capacity: resourcesSchema,
    free: resourcesSchema,
    runtimes: z.array(runtime).min(1).max(runtimes.length),
    prices: unitPricesSchema,
    minDuration: uint32.min(1),
    maxDuration: uint32.min(1),
    collateralBps: uint32,
    createdAt: uint48,
    expiry: uint48,
    sequence: uint48,
    cancelNonce: uint48,
  })
  .check((ctx) => {
    const ask = ctx.value
    const issue = (path: (string | number)[], message: string) =>
      ctx.issues.push({ code: 'custom', message, path, input: ask })
    for (const field of ['cpuMillicores', 'memoryMiB', 'diskMiB'] as const)
      if (ask.free[field] > ask.capacity[field]) issue(['free', field], `exceeds capacity.${field}`)
    const capacityGpus = new Map(ask.capacity.gpus.map((gpu) => [gpu.model, gpu]))
    ask.free.gpus.forEach((gpu, index) => {
      const total = capacityGpus.get(gpu.model)
      if (!total) issue(['free', 'gpus', index, 'model'], `"${gpu.model}" is not in capacity.gpus`)
      else if (gpu.vramMiB !== total.vramMiB) issue(['free', 'gpus', index, 'vramMiB'], 'differs from capacity')
      else if (gpu.count > total.count) issue(['free', 'gpus', index, 'count'], 'exceeds capacity')
    })
    const priced = new Set<string>()
    ask.prices.gpus.forEach((gpu, index) => {
      if (priced.has(gpu.model)) issue(['prices', 'gpus', index, 'model'], `duplicate GPU model "${gpu.model}"`)
      else if (!capacityGpus.has(gpu.model))
        issue(['prices', 'gpus', index, 'model'], `"${gpu.model}" is not in capacity.gpus`)
      priced.add(gpu.model)
    })
    ask.capacity.gpus.forEach((gpu, index) => {
      if (!priced.has(gpu.model)) issue(['capacity', 'gpus', index, 'model'], `"${gpu.model}" has no price`)
    })
    if (new Set(ask.runtimes).size !== ask.runtimes.length) issue(['runtimes'], 'duplicate runtime')
    if (ask.minDuration > ask.maxDuration) issue(['minDuration'], 'exceeds maxDuration')
    if (ask.createdAt >= ask.expiry) issue(['expiry'], 'must be after createdAt')
  }) satisfies z.ZodType<Ask>

/** A signed ask (gossip message `ask`). */
export const signedAskSchema = z.strictObject({
  chainId,
  market: address,
  ask: askSchema,
  signature,
}) satisfies z.ZodType<SignedAsk>

/** A signed ask cancel (gossip message `ask-cancel`). */
export const signedAskCancelSchema = z.strictObject({
  chainId,
  market: address,
  cancel: z.strictObject({ provider: address, cancelNonce: uint48 }),
  signature,
}) satisfies z.ZodType<SignedAskCancel>
