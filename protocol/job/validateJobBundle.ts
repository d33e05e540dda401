import { sortBundlePaths } from './bundlePath.ts'
import { MissingBundleFileError, OutputFolderNotEmptyError } from './errors.ts'
import { JOB_MANIFEST_FILE, type JobManifest } from './jobManifestSchema.ts'
import { parseJobManifest } from './parseJobManifest.ts'
import type { BundleFile } from './types.ts'

/**
 * Checks a job bundle as a whole: valid paths, a valid `allot.job.json` at its
 * root, the entry (for `wasm`, and for `process` when relative) and every input
 * present, and nothing inside the output folder.
 *
 * @param files - The bundle's files.
 * @returns The parsed manifest.
 * @throws InvalidBundlePathError, DuplicateBundlePathError, InvalidJobManifestError, MissingBundleFileError, OutputFolderNotEmptyError
 */
export function validateJobBundle(files: readonly BundleFile[]): JobManifest {
  sortBundlePaths(files.map((file) => file.path))
  const byPath = new Map(files.map((file) => [file.path, file]))
  const manifestFile = byPath.get(JOB_MANIFEST_FILE)
  if (!manifestFile) throw new MissingBundleFileError({ path: JOB_MANIFEST_FILE, role: 'manifest' })
  const manifest = parseJobManifest(manifestFile.bytes)
  if (manifest.runtime === 'wasm' || (manifest.runtime === 'process' && !manifest.entry.startsWith('/')))
    if (!byPath.has(manifest.entry)) throw new MissingBundleFileError({ path: manifest.entry, role: 'entry' })
  for (const input of manifest.inputs) if (!byPath.has(input)) throw new MissingBundleFileError({ path: input, role: 'input' })
  const output = `${manifest.output}/`
  for (const file of files)
    if (file.path === manifest.output || file.path.startsWith(output))
      throw new OutputFolderNotEmptyError({ output: manifest.output, path: file.path })
  return manifest
}
