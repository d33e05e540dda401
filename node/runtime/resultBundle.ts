import type { BundleHash, ResultBundle } from '../../protocol/job/types.ts'
import { hashResultBundle } from '../../protocol/job/hashResultBundle.ts'
import { readBundleFolder } from './readBundleFolder.ts'
import type { RunResult } from './runtime.ts'

/**
 * Collects a finished run into its result bundle: exit code, stdout, stderr and
 * the files of the output folder. Links and special files a job left in its
 * output are not part of the result (they are never followed).
 *
 * @returns The bundle and its content hash (what the provider commits on-chain).
 * @example
 * const { bundle, hash } = await resultBundle(await runtime.run(job))
 */
export async function resultBundle(result: RunResult, { signal }: { signal?: AbortSignal | undefined } = {}): Promise<{ bundle: ResultBundle; hash: BundleHash }> {
  const files = await readBundleFolder(result.outputDir, { onSpecial: 'skip', signal })
  const bundle: ResultBundle = { exitCode: result.exitCode, stdout: result.stdout, stderr: result.stderr, files }
  return { bundle, hash: hashResultBundle(bundle) }
}
