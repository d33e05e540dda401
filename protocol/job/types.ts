import type { Hex } from 'viem'

/** One file of a job or result bundle: its bundle path and its bytes. */
export type BundleFile = {
  /** Relative POSIX path (see `bundlePathProblem`). */
  path: string
  bytes: Uint8Array
}

/** What a finished job produced: the result bundle whose hash the provider commits. */
export type ResultBundle = {
  /** The job's exit status; `128 + n` when it ended by signal `n`. */
  exitCode: number
  stdout: Uint8Array
  stderr: Uint8Array
  /** The files of the job's output folder, paths relative to that folder. */
  files: BundleFile[]
}

/** A bundle content hash: SHA-256 as `0x`-prefixed lowercase hex (a `bytes32`). */
export type BundleHash = Hex
