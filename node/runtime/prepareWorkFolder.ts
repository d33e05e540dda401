import { randomBytes } from 'node:crypto'
import { chmod, constants, copyFile, mkdir, rename } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import type { JobManifest } from '../../protocol/job/jobManifestSchema.ts'
import { walkFolder } from './walkFolder.ts'

export type PrepareWorkFolderParameters = {
  /** Where runs get their folders. */
  workRoot: string
  jobId: string
  manifest: JobManifest
  /** The bundle's folder (copied, never written, unless `take`). */
  bundleDir: string
  /** Move `bundleDir` into place instead of copying it (it must be on the same file system to save anything). */
  take?: boolean | undefined
  signal?: AbortSignal | undefined
}

export type PrepareWorkFolderReturnType = {
  workDir: string
  outputDir: string
  /** Bytes copied in: the base against which the job's writes are measured. */
  bundleBytes: number
}

/**
 * Gives a run its own copy of the bundle, with an empty output folder. The
 * bundle itself stays as it arrived, so a rerun (after a crash, or to check a
 * result) starts from the same bytes.
 *
 * @throws UnsafeBundleFolderError when the bundle folder holds a link or special file.
 */
export async function prepareWorkFolder(parameters: PrepareWorkFolderParameters): Promise<PrepareWorkFolderReturnType> {
  const { workRoot, jobId, manifest, bundleDir, take = false, signal } = parameters
  const files = await walkFolder(bundleDir, { signal })
  const safeId = jobId.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 80)
  const workDir = join(workRoot, `${safeId}-${randomBytes(4).toString('hex')}`)
  await mkdir(workRoot, { recursive: true })
  const moved = take && (await rename(bundleDir, workDir).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'EXDEV') return false
      throw error
    },
  ))
  if (moved) await chmod(workDir, 0o700)
  else await mkdir(workDir, { mode: 0o700 })
  let bundleBytes = 0
  for (const file of files) {
    signal?.throwIfAborted()
    const target = join(workDir, file.path)
    if (!moved) {
      await mkdir(dirname(target), { recursive: true })
      await copyFile(file.absolute, target, constants.COPYFILE_FICLONE)
    }
    // Bundles carry no file modes; the entry of a process job must be executable, nothing else need be.
    await chmod(target, file.path === manifest.entry && manifest.runtime === 'process' ? 0o755 : 0o644)
    bundleBytes += file.size
  }
  const outputDir = join(workDir, manifest.output)
  await mkdir(outputDir, { recursive: true })
  return { workDir, outputDir, bundleBytes }
}
