import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { logger } from '../log/logger.ts'
import { AnvilStartError } from './errors.ts'
import { foundryBinary } from './foundry-binary.ts'

const log = logger('chain:anvil')

export type StartAnvilParameters = {
  /** Address to listen on: loopback by default; a test host's address for multi-host tests. */
  host?: string
  /** Port; 0 (the default) lets the kernel pick a free one. */
  port?: number
  /** Seconds between blocks; omitted means a block per transaction. */
  blockTime?: number
  /** With `blockTime`: also mine each transaction at once, so the clock moves and nobody waits for a block. */
  mixedMining?: boolean
  chainId?: number
  /** Dev accounts to create, all from anvil's well-known mnemonic. */
  accounts?: number
  /** The genesis block's timestamp (unix seconds) instead of now: a run that must replay the same starts on the same date. */
  genesisTimestamp?: number
  /** Milliseconds to wait for anvil to listen. */
  startTimeout?: number
  signal?: AbortSignal
}

export type Anvil = {
  rpcUrl: string
  port: number
  chainId: number
  process: ChildProcess
  /** The last lines anvil printed: why it died, when it did. */
  output: () => string
  /** Settles when anvil exits by itself (not through `stop()`), with its exit code or signal. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  /** Stops the chain and waits for the process to exit. */
  stop: () => Promise<void>
}

const running = new Set<ChildProcess>()
let exitHookInstalled = false

/**
 * Starts anvil as a child process on a loopback port and waits until it listens.
 *
 * The child dies with its parent: it is killed on `stop()`, on the abort signal,
 * and when this process exits, so no orphan chain is left behind.
 *
 * @returns the RPC URL and a `stop()` function.
 * @example
 * const anvil = await startAnvil({ blockTime: 1 })
 * // … use anvil.rpcUrl …
 * await anvil.stop()
 */
export async function startAnvil(parameters: StartAnvilParameters = {}): Promise<Anvil> {
  const { host = '127.0.0.1', port = 0, blockTime, mixedMining = false, chainId = 31337, accounts = 10, genesisTimestamp, startTimeout = 15_000, signal } = parameters
  const args = ['--host', host, '--port', String(port), '--chain-id', String(chainId), '--accounts', String(accounts)]
  if (genesisTimestamp !== undefined) args.push('--timestamp', String(genesisTimestamp))
  if (blockTime !== undefined) args.push('--block-time', String(blockTime), ...(mixedMining ? ['--mixed-mining'] : []))
  const binary = foundryBinary('anvil')
  const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  installExitHook()
  running.add(child)
  child.once('exit', () => running.delete(child))

  let output = ''
  const listening = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new AnvilStartError({ reason: `no "Listening on" line within ${startTimeout} ms`, output })), startTimeout)
    const onData = (chunk: Buffer) => {
      output += chunk.toString()
      const match = /Listening on [\d.]+:(\d+)/.exec(output)
      if (match) {
        clearTimeout(timer)
        child.stdout?.off('data', onData)
        // Kept short: only the last lines matter, to say why anvil died.
        child.stdout?.on('data', (more: Buffer) => (output = (output + more.toString()).slice(-4_000)))
        resolve(Number(match[1]))
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-8_000)))
    child.once('error', (cause) => {
      clearTimeout(timer)
      reject(new AnvilStartError({ reason: `could not run ${binary}`, output, cause }))
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new AnvilStartError({ reason: `anvil exited with code ${code}`, output }))
    })
  })

  let stopping = false
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      if (!stopping) resolve({ code, signal })
    }),
  )
  const stop = async () => {
    stopping = true
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), 3_000)
    await exited
    clearTimeout(timer)
    log('stopped anvil pid %d', child.pid)
  }
  const onAbort = () => void stop()
  signal?.addEventListener('abort', onAbort, { once: true })
  child.once('exit', () => signal?.removeEventListener('abort', onAbort))

  try {
    const boundPort = await listening
    const rpcUrl = `http://${host}:${boundPort}`
    log('anvil pid %d listening at %s', child.pid, rpcUrl)
    return { rpcUrl, port: boundPort, chainId, process: child, output: () => output, exited, stop }
  } catch (error) {
    await stop()
    throw error
  }
}

function installExitHook() {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL')
  })
}
