import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The allot checkout this code runs from (the sources or the bundle in dist/ alike). */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (dir !== dirname(dir)) {
    const manifest = join(dir, 'package.json')
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'allot') return dir
    dir = dirname(dir)
  }
  throw new Error('cannot find the allot package root')
}
