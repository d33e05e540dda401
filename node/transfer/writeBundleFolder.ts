import { mkdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { assertBundlePath } from '../../protocol/job/bundlePath.ts'
import type { BundleFile } from '../../protocol/job/types.ts'

/**
 * Writes bundle files into a fresh folder, atomically: they appear under `dir`
 * all at once or not at all, so a crash never leaves half a job to run.
 */
export async function writeBundleFolder(dir: string, files: readonly BundleFile[]): Promise<void> {
  const staging = `${dir}.${process.pid}.staging`
  await rm(staging, { recursive: true, force: true })
  for (const file of files) {
    assertBundlePath(file.path)
    const target = join(staging, file.path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, file.bytes)
  }
  await mkdir(staging, { recursive: true })
  await rm(dir, { recursive: true, force: true })
  await mkdir(dirname(dir), { recursive: true })
  await rename(staging, dir)
}
