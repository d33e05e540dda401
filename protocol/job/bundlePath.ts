import { DuplicateBundlePathError, InvalidBundlePathError } from './errors.ts'

/** Longest bundle path, in UTF-8 bytes. */
export const MAX_BUNDLE_PATH_BYTES = 1024

/** Longest segment of a bundle path, in UTF-8 bytes (the common file-system limit). */
export const MAX_BUNDLE_SEGMENT_BYTES = 255

const encoder = new TextEncoder()

/**
 * Says why a path may not name a file in a job or result bundle, or nothing when it may.
 *
 * A bundle path is relative and POSIX-style: segments joined by `/`, none empty,
 * none `.` or `..`, no `\`, no control characters, in Unicode NFC, at most
 * {@link MAX_BUNDLE_PATH_BYTES} bytes. These rules make every path mean the same
 * file on every provider, and keep every file inside the job's folder.
 *
 * @param path - A candidate path.
 * @returns The broken rule in a few words, or `undefined`.
 * @example
 * bundlePathProblem('../key') // 'contains a ".." segment'
 */
export function bundlePathProblem(path: string): string | undefined {
  if (path.length === 0) return 'is empty'
  if (path.startsWith('/')) return 'is absolute'
  if (path.includes('\\')) return 'contains "\\"'
  // C0 controls, DEL and NUL: NUL would cut the path short in a system call.
  if (/[\u0000-\u001f\u007f]/.test(path)) return 'contains a control character'
  if (path.normalize('NFC') !== path) return 'is not in Unicode NFC form'
  if (encoder.encode(path).length > MAX_BUNDLE_PATH_BYTES) return `is longer than ${MAX_BUNDLE_PATH_BYTES} bytes`
  for (const segment of path.split('/')) {
    if (segment === '') return 'has an empty segment'
    if (segment === '..') return 'contains a ".." segment'
    if (segment === '.') return 'contains a "." segment'
    if (encoder.encode(segment).length > MAX_BUNDLE_SEGMENT_BYTES) return `has a segment longer than ${MAX_BUNDLE_SEGMENT_BYTES} bytes`
  }
  return undefined
}

/**
 * Throws unless `path` is a valid bundle path (see {@link bundlePathProblem}).
 *
 * @param path - A candidate path.
 * @throws InvalidBundlePathError
 */
export function assertBundlePath(path: string): void {
  const reason = bundlePathProblem(path)
  if (reason) throw new InvalidBundlePathError({ path, reason })
}

/**
 * Orders bundle paths by their UTF-8 bytes, the order the hash uses.
 * (Comparing JavaScript strings directly would order by UTF-16 code units,
 * which differs for characters outside the Basic Multilingual Plane.)
 *
 * @returns Negative, zero or positive, like `Array.prototype.sort` expects.
 */
export function compareBundlePaths(a: string, b: string): number {
  const x = encoder.encode(a)
  const y = encoder.encode(b)
  const length = Math.min(x.length, y.length)
  for (let i = 0; i < length; i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}

/**
 * Checks a bundle's paths all at once: each valid, none repeated, and no file
 * that is also a folder of another (`a` beside `a/b`).
 *
 * @param paths - The bundle's paths, in any order.
 * @returns The paths sorted by {@link compareBundlePaths}.
 * @throws InvalidBundlePathError, DuplicateBundlePathError
 */
export function sortBundlePaths(paths: readonly string[]): string[] {
  for (const path of paths) assertBundlePath(path)
  const sorted = [...paths].sort(compareBundlePaths)
  const files = new Set<string>()
  for (const path of sorted) {
    if (files.has(path)) throw new DuplicateBundlePathError({ path })
    files.add(path)
  }
  for (const path of sorted) {
    const segments = path.split('/')
    for (let i = 1; i < segments.length; i++) {
      const folder = segments.slice(0, i).join('/')
      if (files.has(folder)) throw new DuplicateBundlePathError({ path: folder, other: path })
    }
  }
  return sorted
}
