// Calls into a benchmark peer running in a child process, over Node's IPC channel:
// `forkPeer` on the bench's side, `servePeer` in the child.
import { fork, type ChildProcess } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export type Peer = { child: ChildProcess; call: <T = any>(command: string, argument?: unknown) => Promise<T> }

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Forks `script` (TypeScript through tsx, or a prebuilt .js/.mjs) with the Node 20 polyfill. */
export function forkPeer(script: string, { execArgv = [], name = 'a peer' }: { execArgv?: string[]; name?: string } = {}): Peer {
  const loader = script.endsWith('.ts') ? ['--import', 'tsx'] : []
  const child = fork(script, [], {
    execArgv: ['--require', join(root, 'node/polyfill/promise-with-resolvers.cjs'), ...loader, ...execArgv],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    cwd: root,
  })
  let next = 0
  const pending = new Map<number, { resolve: (value: any) => void; reject: (error: Error) => void }>()
  child.on('message', (message: any) => {
    const waiter = pending.get(message.id)
    pending.delete(message.id)
    if (message.error) waiter?.reject(new Error(message.error))
    else waiter?.resolve(message.result)
  })
  child.on('exit', (code) => {
    for (const waiter of pending.values()) waiter.reject(new Error(`${name} exited with ${code}`))
  })
  return {
    child,
    call: (command, argument) =>
      new Promise((resolve, reject) => {
        const id = next++
        pending.set(id, { resolve, reject })
        child.send({ id, command, argument })
      }),
  }
}

/** In the child: answers each call with its command's result or error; stops when the parent goes. */
export function servePeer(commands: Record<string, (argument: any) => unknown>, stop: () => Promise<unknown>): void {
  process.on('message', async ({ id, command, argument }: { id: number; command: string; argument: unknown }) => {
    let reply: { id: number; result?: unknown; error?: string }
    try {
      reply = { id, result: await commands[command]!(argument) }
    } catch (error) {
      reply = { id, error: (error as Error).stack ?? String(error) }
    }
    if (process.connected) process.send!(reply)
  })
  // process.exit (not a kill) so that --cpu-prof can write its profile.
  process.on('disconnect', () => void stop().finally(() => process.exit(0)))
}
