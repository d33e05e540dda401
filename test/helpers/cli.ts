import { run } from '../../cli/main.ts'

export type CliRun = { code: number; stdout: string; stderr: string; json: () => any }

/** Runs the CLI in-process with captured streams, as a user's shell would. */
export async function runCli(argv: string[], { env = {}, signal }: { env?: NodeJS.ProcessEnv; signal?: AbortSignal } = {}): Promise<CliRun> {
  let stdout = ''
  let stderr = ''
  const code = await run({
    argv,
    env: { ...env },
    signal,
    streams: { stdout: { write: (text: string) => (stdout += text) }, stderr: { write: (text: string) => (stderr += text) } },
  })
  return { code, stdout, stderr, json: () => JSON.parse(stdout) }
}

/** Like runCli, but resolves as soon as stdout has a complete line, for commands that run until stopped. */
export function startCli(argv: string[], { env = {} }: { env?: NodeJS.ProcessEnv } = {}) {
  const controller = new AbortController()
  let stdout = ''
  let stderr = ''
  let onLine: (() => void) | undefined
  const firstLine = new Promise<void>((resolve) => (onLine = resolve))
  const done = run({
    argv,
    env: { ...env },
    signal: controller.signal,
    streams: {
      stdout: { write: (text: string) => ((stdout += text), stdout.includes('\n') && onLine?.()) },
      stderr: { write: (text: string) => (stderr += text) },
    },
  })
  return {
    ready: Promise.race([firstLine, done.then((code) => Promise.reject(new Error(`exited ${code}: ${stderr}${stdout}`)))]),
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      controller.abort()
      return done
    },
  }
}
