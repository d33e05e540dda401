import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createWriteStream } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { request } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DockerUnavailableError } from '../errors.ts'
import { findExecutable } from '../findExecutable.ts'

/** A Docker Engine of our own, on a private socket under a temp folder. */
export type DockerEngine = {
  /** `unix://…/docker.sock`, for `DOCKER_HOST`, `--docker-host` or `host`. */
  host: string
  socketPath: string
  /** The temp folder holding its socket, data, state and log. */
  root: string
  pid: number
  /** Stops this engine (by its own pid, never any other) and removes its folder. */
  stop: () => Promise<void>
}

export type StartDockerEngineParameters = {
  /** How long to wait for the engine to answer, ms. Default 60 s. */
  timeoutMs?: number | undefined
  signal?: AbortSignal | undefined
}

/**
 * Starts `dockerd` with no bridge, no iptables and no masquerading (containers
 * get no network and nothing leaves loopback) on a socket in a fresh temp
 * folder, and waits until it answers. For tests, benchmarks and the demo: a
 * provider uses the engine its machine already runs.
 *
 * @throws DockerUnavailableError when dockerd is missing or does not answer in time (its log's tail is the detail).
 * @example
 * const engine = await startDockerEngine()
 * process.env.DOCKER_HOST = engine.host
 * await engine.stop()
 */
export async function startDockerEngine({ timeoutMs = 60_000, signal }: StartDockerEngineParameters = {}): Promise<DockerEngine> {
  const dockerd = await findExecutable('dockerd', `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin`)
  const root = await mkdtemp(join(tmpdir(), 'allot-dockerd-'))
  const socketPath = join(root, 'docker.sock')
  if (!dockerd) {
    await rm(root, { recursive: true, force: true })
    throw new DockerUnavailableError({ socketPath, cause: new Error('dockerd is not installed (apt-get install docker.io)') })
  }
  const log = createWriteStream(join(root, 'dockerd.log'))
  const args = ['--bridge=none', '--iptables=false', '--ip-masq=false', '-H', `unix://${socketPath}`, '--data-root', join(root, 'data'), '--exec-root', join(root, 'exec'), '--pidfile', join(root, 'dockerd.pid')]
  const child = spawn(dockerd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout.pipe(log)
  child.stderr.pipe(log)
  const exited = once(child, 'exit').then(() => true)
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
      await exited
      clearTimeout(timer)
    }
    log.end()
    await rm(root, { recursive: true, force: true }).catch(() => {})
  }
  const deadline = Date.now() + timeoutMs
  while (!(await ping(socketPath))) {
    const gone = child.exitCode !== null || child.signalCode !== null
    if (gone || Date.now() > deadline || signal?.aborted) {
      const tail = (await readFile(join(root, 'dockerd.log'), 'utf8').catch(() => '')).trim().split('\n').slice(-3).join(' | ')
      await stop()
      throw new DockerUnavailableError({ socketPath, cause: new Error(`dockerd ${gone ? 'exited' : 'did not answer'}: ${tail}`) })
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { host: `unix://${socketPath}`, socketPath, root, pid: child.pid!, stop }
}

function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const call = request({ socketPath, path: '/_ping', timeout: 1000 }, (response) => {
      response.resume()
      resolve(response.statusCode === 200)
    })
    call.on('error', () => resolve(false)).on('timeout', () => call.destroy())
    call.end()
  })
}
