import { execFile } from 'node:child_process'
import { promisify } from 'node:util'

const run = promisify(execFile)

/** `allot …` as a separate process, as a user runs it; never throws, returns what it printed. */
export async function allot(args: string[], { timeout = 600_000 }: { timeout?: number } = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, ['cli/bin.js', ...args], { maxBuffer: 64 * 1024 * 1024, timeout })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}
