import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { ResultBundle } from '../../protocol/job/types.ts'
import { writeBundleFolder } from '../transfer/writeBundleFolder.ts'

/**
 * Lays a result bundle out as a folder: `stdout`, `stderr`, `exit-code`, and the
 * job's output files under `output/`.
 */
export async function writeResultFolder(dir: string, result: ResultBundle): Promise<void> {
  await writeBundleFolder(join(dir, 'output'), result.files)
  await writeFile(join(dir, 'stdout'), result.stdout)
  await writeFile(join(dir, 'stderr'), result.stderr)
  await writeFile(join(dir, 'exit-code'), `${result.exitCode}\n`)
}
