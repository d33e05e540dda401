import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

const require = createRequire(import.meta.url)
const archNames: Record<string, string> = { x64: 'amd64', arm64: 'arm64' }

/**
 * Finds the real Foundry binary shipped by the `@foundry-rs/<tool>-<os>-<arch>` package.
 *
 * The npm wrapper scripts are avoided on purpose: stopping a wrapper leaves the real
 * anvil running, and the forge wrapper exits 0 even when tests fail.
 *
 * @param tool - `anvil`, `forge` or `cast`.
 * @returns the binary's path, or the bare tool name (found on PATH) if no package has it.
 */
export function foundryBinary(tool: 'anvil' | 'forge' | 'cast'): string {
  const arch = archNames[process.arch] ?? process.arch
  const packageName = `@foundry-rs/${tool}-${process.platform}-${arch}`
  try {
    const binary = join(dirname(require.resolve(`${packageName}/package.json`)), 'bin', tool)
    if (existsSync(binary)) return binary
  } catch {}
  return tool
}
