import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { assertBundlePath } from '../../protocol/job/bundlePath.ts'
import type { ResultBundle } from '../../protocol/job/types.ts'

/**
 * Lays a result bundle out as a folder: `stdout`, `stderr`, `exit-code`, and the
 * job's output files under `output/`.
 */
export async function writeResultFolder(dir: string, result: ResultBundle): Promise<void> {
  await mkdir(join(dir, 'output'), { recursive: true })
  await writeFile(join(dir, 'stdout'), result.stdout)
  await writeFile(join(dir, 'stderr'), result.stderr)
  await writeFile(join(dir, 'exit-code'), `${result.exitCode}\n`)
  for (const file of result.files) {
    assertBundlePath(file.path)
    const target = join(dir, 'output', file.path)
    await mkdir(dirname(target), { recursive: true })
    await writeFile(target, file.bytes)
  }
}
