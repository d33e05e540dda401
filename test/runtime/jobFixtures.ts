import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { type JobManifest, type JobManifestInput, parseJobManifest } from '../../protocol/job/index.ts'
import type { RunnableJob } from '../../node/runtime/index.ts'

/** The repository's root. */
export const repoRoot = fileURLToPath(new URL('../../', import.meta.url))

/** A prebuilt test module (test/runtime/fixtures/*.wasm, rebuilt by fixtures/build.sh). */
export function fixtureModule(name: string): Promise<Buffer> {
  return readFile(join(repoRoot, 'test/runtime/fixtures', `${name}.wasm`))
}

const defaults = {
  version: 1,
  limits: { wallSeconds: 20, cpuSeconds: 10, memoryMiB: 64, outputMiB: 2, processes: 16 },
  resources: { cpuMillicores: 1000, memoryMiB: 256, diskMiB: 64 },
} as const

/**
 * Writes a job bundle (its files and allot.job.json) into a fresh folder under `root`.
 *
 * @param manifest - Manifest fields; `limits` are merged over test defaults.
 */
export async function makeJob(
  root: string,
  manifest: Partial<Omit<JobManifestInput, 'limits'>> & { runtime: JobManifest['runtime']; entry: string; limits?: Partial<JobManifestInput['limits']> },
  files: Record<string, string | Uint8Array>,
  id = 'job',
): Promise<RunnableJob> {
  const bundleDir = await mkdtemp(join(root, 'bundle-'))
  const full = { ...defaults, ...manifest, limits: { ...defaults.limits, ...manifest.limits } }
  const parsed = parseJobManifest(full)
  await writeFile(join(bundleDir, 'allot.job.json'), JSON.stringify(full))
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(bundleDir, path)), { recursive: true })
    await writeFile(join(bundleDir, path), content)
  }
  return { id, manifest: parsed, bundleDir }
}

/** Text of captured output. */
export const text = (bytes: Uint8Array) => Buffer.from(bytes).toString('utf8')
