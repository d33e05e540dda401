// Job and result formats: the manifest, bundle paths, the canonical bundle
// encodings and their content hashes. Pure; docs/jobs.md is the specification.

export {
  DuplicateBundlePathError,
  type DuplicateBundlePathErrorType,
  InvalidBundlePathError,
  type InvalidBundlePathErrorType,
  InvalidJobManifestError,
  type InvalidJobManifestErrorType,
  MalformedBundleError,
  type MalformedBundleErrorType,
  MissingBundleFileError,
  type MissingBundleFileErrorType,
  OutputFolderNotEmptyError,
  type OutputFolderNotEmptyErrorType,
} from './errors.ts'
export type { BundleFile, BundleHash, ResultBundle } from './types.ts'
export {
  assertBundlePath,
  bundlePathProblem,
  compareBundlePaths,
  MAX_BUNDLE_PATH_BYTES,
  MAX_BUNDLE_SEGMENT_BYTES,
  sortBundlePaths,
} from './bundlePath.ts'
export {
  JOB_MANIFEST_FILE,
  JOB_MANIFEST_VERSION,
  type JobGpu,
  type JobLimits,
  type JobManifest,
  type JobManifestInput,
  jobGpuSchema,
  jobLimitsSchema,
  jobManifestSchema,
  type JobResources,
  jobResourcesSchema,
  MAX_JOB_MIB,
  MAX_JOB_SECONDS,
} from './jobManifestSchema.ts'
export { parseJobManifest, type ParseJobManifestErrorType } from './parseJobManifest.ts'
export { validateJobBundle } from './validateJobBundle.ts'
export { manifestRequirements } from './manifestRequirements.ts'
export { JOB_BUNDLE_MAGIC, MAX_BUNDLE_FILES, RESULT_BUNDLE_MAGIC } from './bundleEncoding.ts'
export { encodeJobBundle, jobBundleParts } from './encodeJobBundle.ts'
export { decodeJobBundle } from './decodeJobBundle.ts'
export { hashJobBundle } from './hashJobBundle.ts'
export { encodeResultBundle, resultBundleParts } from './encodeResultBundle.ts'
export { decodeResultBundle } from './decodeResultBundle.ts'
export { hashResultBundle } from './hashResultBundle.ts'
