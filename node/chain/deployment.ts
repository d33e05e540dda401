import { readFile } from 'node:fs/promises'
import { getAddress, type Address } from 'viem'
import { z } from 'zod'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'
import { DeploymentNotFoundError } from './errors.ts'

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/).transform((value) => getAddress(value))

const deploymentSchema = z.object({
  chainId: z.number().int().positive(),
  rpcUrl: z.string().optional(),
  /** The market this node trades in (the default market of the deployment); its address is its id. */
  market: address,
  /** The factory that created the market; absent in files written before markets were created through one. */
  factory: address.optional(),
  /** Markets known to this deployment (the factory may hold more: `allot market list` reads them all). */
  markets: z.array(address).optional(),
  paymentToken: address,
  collateralToken: address,
  /** Absent when collateral is the payment token: then no feed is needed. */
  priceFeed: address.optional(),
  deploymentBlock: z.number().int().nonnegative(),
})

/** Where a market lives: the file `allot chain dev` writes and every node reads. */
export type Deployment = z.infer<typeof deploymentSchema>

/** Reads and validates a deployment file. */
export async function readDeployment(path: string): Promise<Deployment> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (cause) {
    throw new DeploymentNotFoundError({ path, cause })
  }
  return deploymentSchema.parse(JSON.parse(text))
}

/** Writes a deployment file atomically (a reader never sees half a file). */
export async function writeDeployment(path: string, deployment: Deployment): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(deployment, null, 2)}\n`)
}

export type { Address }
