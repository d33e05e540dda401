import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { logger, type Logger } from '../log/logger.ts'
import { removeControlFile, writeControlFile } from './controlFile.ts'

export type ControlServerComponents = {
  /** GET handlers by path, e.g. `/status`; each answers JSON (bigints as decimal strings). */
  routes: Record<string, () => Promise<unknown>>
  logger?: Logger
}

export type ControlServerInit = {
  /** The node's home: `control.json` goes there. */
  home: string
  /** Port on 127.0.0.1; 0 (the default) picks a free one. */
  port?: number
}

export type ControlServer = {
  start: () => Promise<void>
  stop: () => Promise<void>
  /** `http://127.0.0.1:PORT` once started. */
  readonly url: string | undefined
}

/**
 * A running node's control endpoint: HTTP on 127.0.0.1 only, every request
 * guarded by a bearer token that is written with the URL to `<home>/control.json`
 * (mode 0600), so only the user who started the node can ask it anything.
 *
 * @example
 * const control = createControlServer({ routes: { '/status': () => providerStatus(components) } }, { home })
 * await control.start()
 */
export function createControlServer(components: ControlServerComponents, init: ControlServerInit): ControlServer {
  const log = components.logger ?? logger('control')
  const token = randomBytes(32).toString('hex')
  const expected = Buffer.from(`Bearer ${token}`)
  let server: Server | undefined
  let url: string | undefined

  const authorized = (request: IncomingMessage) => {
    const given = Buffer.from(request.headers.authorization ?? '')
    return given.length === expected.length && timingSafeEqual(given, expected)
  }

  const answer = (response: ServerResponse, status: number, body: unknown) => {
    response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    response.end(JSON.stringify(body, (_key, value) => (typeof value === 'bigint' ? value.toString() : value)))
  }

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    if (!authorized(request)) return answer(response, 401, { error: { name: 'Unauthorized', message: 'missing or wrong bearer token' } })
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    const route = components.routes[path]
    if (!route) return answer(response, 404, { error: { name: 'NotFound', message: `no ${path} here; try ${Object.keys(components.routes).join(', ')}` } })
    if (request.method !== 'GET') return answer(response, 405, { error: { name: 'MethodNotAllowed', message: `${path} answers GET only` } })
    try {
      answer(response, 200, await route())
    } catch (error) {
      log.error('control %s: %O', path, error)
      const { name, shortMessage, message } = error as { name?: string; shortMessage?: string; message?: string }
      answer(response, 500, { error: { name: name ?? 'Error', message: shortMessage ?? message ?? String(error) } })
    }
  }

  return {
    get url() {
      return url
    },
    async start() {
      server = createServer((request, response) => void handle(request, response))
      server.listen(init.port ?? 0, '127.0.0.1')
      await once(server, 'listening')
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      await writeControlFile(init.home, { url, token, pid: process.pid })
      log('control endpoint on %s', url)
    },
    async stop() {
      if (!server) return
      const closing = once(server, 'close')
      server.close()
      server.closeAllConnections()
      await closing
      server = undefined
      await removeControlFile(init.home, token)
    },
  }
}
