// Builds the `allot` command into one ES module, dist/allot.mjs, with esbuild.
// Running the TypeScript sources through a loader costs seconds per start (every
// module of every dependency passes through the loader's hooks); the bundle
// starts in a fraction of that. Dependencies stay external and load natively.
import { build } from 'esbuild'
import { copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
export const bundlePath = join(root, 'dist', 'allot.mjs')
const sourceFolders = ['cli', 'node', 'protocol', join('contracts', 'abi')]

/** Newest modification time of the sources the bundle is made from. */
async function newestSource() {
  let newest = 0
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) await walk(path)
      else if (/\.(ts|js|cjs|json)$/.test(entry.name)) newest = Math.max(newest, (await stat(path)).mtimeMs)
    }
  }
  for (const folder of sourceFolders) await walk(join(root, folder))
  return newest
}

/** Rebuilds the bundle when a source is newer than it; returns its path. */
export async function ensureBundle() {
  const built = await stat(bundlePath).then((s) => s.mtimeMs, () => 0)
  if (built > (await newestSource())) return bundlePath
  await mkdir(dirname(bundlePath), { recursive: true })
  // Built under a temporary name and renamed: processes starting at the same moment never load half a bundle.
  const temporary = `${bundlePath}.${process.pid}.tmp.mjs`
  await build({
    entryPoints: [join(root, 'cli', 'main.ts')],
    outfile: temporary,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    logLevel: 'warning',
  })
  // The wasm runtime starts this script in each job's child process, next to the bundle.
  await copyFile(join(root, 'node', 'runtime', 'wasm', 'wasmChild.js'), join(root, 'dist', 'wasmChild.js'))
  // Fetched bundles are hashed and written by this worker, next to the bundle too.
  await copyFile(join(root, 'node', 'transfer', 'bundleWriterWorker.js'), join(root, 'dist', 'bundleWriterWorker.js'))
  await rename(temporary, bundlePath)
  return bundlePath
}

if (process.argv[1] === fileURLToPath(import.meta.url)) console.log(await ensureBundle())
