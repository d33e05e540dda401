import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { join } from 'node:path'
import { packageRoot } from './packageRoot.ts'

export type AllotProcess = {
  child: ChildProcess
  /** The first JSON document the command printed (its `--json` result). */
  ready: Promise<any>
  output: () => string
  stop: () => Promise<void>
}

/**
 * Runs `allot <args> --json` as a separate OS process, as a user would; `prefix`
 * runs it through another command first (e.g. `ip netns exec NAME`).
 */
export function spawnAllot(args: string[], env: NodeJS.ProcessEnv = {}, { prefix = [] }: { prefix?: string[] } = {}): AllotProcess {
  const command = [...prefix, process.execPath, join(packageRoot(), 'cli', 'bin.js'), ...args, '--json']
  const child = spawn(command[0]!, command.slice(1), {
    env: { ...process.env, ...env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stdout = ''
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const ready = new Promise<any>((resolve, reject) => {
    child.stdout!.on('data', (chunk) => {
      stdout += chunk
      const line = stdout.split('\n').find((candidate) => candidate.trim().startsWith('{'))
      if (line && stdout.includes('\n')) {
        try {
          resolve(JSON.parse(line))
        } catch {}
      }
    })
    child.once('exit', (code) => reject(new Error(`allot ${args.slice(0, 2).join(' ')} exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`)))
  })
  ready.catch(() => {})
  return {
    child,
    ready,
    output: () => stdout + stderr,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return
      child.kill('SIGCONT')
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await once(child, 'exit')
      clearTimeout(timer)
    },
  }
}
