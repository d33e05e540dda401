import { randomBytes, timingSafeEqual } from 'node:crypto'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createRequire } from 'node:module'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { packageRoot } from '../demo/packageRoot.ts'
import { logger } from '../log/logger.ts'
import { DashboardListenError } from './errors.ts'

const log = logger('dashboard')
const cookieName = 'allot_dashboard'

// Everything the page loads comes from here: no CDN, no network beyond loopback.
// Paths start at the package root, since this code also runs from the bundle in dist/.
function dashboardAssets(): Record<string, { file: string; type: string }> {
  const root = packageRoot()
  const own = (name: string) => join(root, 'node', 'dashboard', 'assets', name)
  const require = createRequire(join(root, 'package.json'))
  return {
    '/': { file: own('index.html'), type: 'text/html; charset=utf-8' },
    '/app.js': { file: own('app.js'), type: 'text/javascript; charset=utf-8' },
    '/app.css': { file: own('app.css'), type: 'text/css; charset=utf-8' },
    '/uplot.js': { file: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
    '/uplot.css': { file: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
  }
}

export type ServeDashboardParameters = {
  /** 0 picks a free port. */
  port: number
  /** The page's data, as JSON-ready values (bigints are sent as decimal strings). */
  snapshot: () => Promise<unknown>
  /** How often open pages get a new snapshot, milliseconds. */
  intervalMs?: number
  /** The secret in the URL; a random one by default. */
  token?: string
}

export type DashboardServer = {
  /** The URL to open, token included. */
  url: string
  token: string
  port: number
  stop: () => Promise<void>
}

const json = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === 'bigint' ? v.toString() : v))

/**
 * Serves the dashboard on 127.0.0.1: the page and its assets, `GET /api/snapshot`
 * and a server-sent event stream `GET /api/events` that pushes a snapshot every
 * `intervalMs`. Like Jupyter, a random token in the printed URL keeps other local
 * users out: a request needs `?token=` or the cookie set by the first page load, else 403.
 *
 * @example
 * const server = await serveDashboard({ port: 0, snapshot: () => dashboardSnapshot(components) })
 * console.log(server.url)
 */
export async function serveDashboard({ port, snapshot, intervalMs = 1_000, token = randomBytes(24).toString('hex') }: ServeDashboardParameters): Promise<DashboardServer> {
  const assets = dashboardAssets()
  const expected = Buffer.from(token)
  const streams = new Set<ServerResponse>()
  let bound = port
  const authorized = (request: IncomingMessage, url: URL) => {
    const cookie = /(?:^|;\s*)allot_dashboard=([0-9a-f]+)/.exec(request.headers.cookie ?? '')?.[1]
    return [url.searchParams.get('token'), cookie].some((given) => given && given.length === token.length && timingSafeEqual(Buffer.from(given), expected))
  }
  // A page on another site that resolves its own name to 127.0.0.1 (DNS rebinding) sends its own Host.
  const localHost = (request: IncomingMessage) => [`127.0.0.1:${bound}`, `localhost:${bound}`].includes(request.headers.host ?? '')

  const handle = async (request: IncomingMessage, response: ServerResponse) => {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1')
    if (!localHost(request) || !authorized(request, url)) {
      response.writeHead(403, { 'content-type': 'text/plain' }).end('Open the dashboard with the URL `allot dashboard` printed (it carries the token).\n')
      return
    }
    const headers = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'set-cookie': `${cookieName}=${token}; HttpOnly; SameSite=Strict; Path=/` }
    if (request.method !== 'GET') {
      response.writeHead(405, headers).end()
    } else if (url.pathname === '/api/snapshot') {
      const body = json(await snapshot())
      response.writeHead(200, { ...headers, 'content-type': 'application/json' }).end(body)
    } else if (url.pathname === '/api/events') {
      response.writeHead(200, { ...headers, 'content-type': 'text/event-stream', connection: 'keep-alive' })
      streams.add(response)
      request.once('close', () => streams.delete(response))
      void push([response])
    } else if (url.pathname === '/favicon.ico') {
      response.writeHead(204, headers).end()
    } else if (assets[url.pathname]) {
      const asset = assets[url.pathname]!
      const body = await readFile(asset.file)
      response.writeHead(200, { ...headers, 'content-type': asset.type, 'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'" }).end(body)
    } else {
      response.writeHead(404, { ...headers, 'content-type': 'text/plain' }).end('not found\n')
    }
  }
  const push = async (targets: Iterable<ServerResponse>) => {
    let data: string
    try {
      data = `data: ${json(await snapshot())}\n\n`
    } catch (error) {
      log.error('snapshot: %O', error)
      data = `event: failure\ndata: ${JSON.stringify({ message: (error as Error).message })}\n\n`
    }
    for (const target of targets) target.write(data)
  }

  const server = createServer((request, response) =>
    handle(request, response).catch((error) => {
      log.error('%s %s: %O', request.method, request.url, error)
      if (!response.headersSent) response.writeHead(500, { 'content-type': 'text/plain' })
      response.end(`${(error as Error).message}\n`)
    }),
  )
  server.listen(port, '127.0.0.1')
  try {
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))])
  } catch (cause) {
    throw new DashboardListenError({ port, cause })
  }
  bound = (server.address() as AddressInfo).port
  let pushing = false
  const timer = setInterval(() => {
    if (streams.size === 0 || pushing) return
    pushing = true
    void push(streams).finally(() => (pushing = false))
  }, intervalMs)
  return {
    url: `http://127.0.0.1:${bound}/?token=${token}`,
    token,
    port: bound,
    stop: async () => {
      clearInterval(timer)
      for (const stream of streams) stream.end()
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
