import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generatePrivateKey } from 'viem/accounts'
import { createMarketLedger } from '../../node/dashboard/marketLedger.ts'
import { dashboardSnapshot } from '../../node/dashboard/dashboardSnapshot.ts'
import { createMetricsHistory } from '../../node/dashboard/metricsHistory.ts'
import { serveDashboard } from '../../node/dashboard/serveDashboard.ts'
import type { CommandSpec } from '../command.ts'
import { startCliNode } from '../startCliNode.ts'
import { parseInteger } from './parse.ts'

/** The addresses and market of a node running in `home` (its node.json), to join the network through it. */
async function localNode(home: string): Promise<{ addresses: string[]; market?: string }> {
  try {
    const info = JSON.parse(await readFile(join(home, 'node.json'), 'utf8'))
    process.kill(info.pid, 0)
    return { addresses: info.addresses as string[], market: info.market as string | undefined }
  } catch {
    return { addresses: [] }
  }
}

export const dashboard: CommandSpec = {
  path: ['dashboard'],
  summary: 'serve a live web page of the market on 127.0.0.1: book, providers, deals, liquidations, this node’s metrics',
  options: [{ flags: '--port <number>', description: 'port on 127.0.0.1 (0 picks a free one)', defaultValue: 7464, parse: parseInteger('--port', 0, 65_535) }],
  examples: ['allot dashboard', 'allot dashboard --port 0 --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…', 'allot dashboard --json'],
  async run(_args, options, context) {
    const { settings, output, signal } = context
    // The dashboard is a node of its own beside whatever runs in the home: own peer key
    // and store in <home>/dashboard, a throwaway account (it never signs), and by default
    // it joins the network through a provider running in the same home,
    // and shows that node's market unless another is chosen.
    const local = await localNode(settings.home)
    const bootstrap = settings.bootstrap?.length ? settings.bootstrap : local.addresses
    const viewer = { ...settings, home: join(settings.home, 'dashboard'), privateKey: generatePrivateKey(), bootstrap, market: settings.market ?? (settings.bootstrap?.length ? undefined : local.market) }
    const { node, connection } = await startCliNode({ ...context, settings: viewer }, { syncOnStart: true })
    const stops: (() => unknown)[] = [() => node.stop()]
    try {
      const ledger = createMarketLedger({ clients: node.clients, deployment: node.deployment })
      await ledger.start()
      stops.push(() => ledger.stop())
      const history = createMetricsHistory({ registry: node.registry, peers: () => node.host.getConnections().length, asks: () => node.orderBook.asks().length })
      history.start()
      stops.push(() => history.stop())
      const server = await serveDashboard({
        port: options.port as number,
        snapshot: () => dashboardSnapshot({ clients: node.clients, deployment: node.deployment, tokens: connection.tokens, asks: () => node.orderBook.asks(), ledger, history, home: settings.home }),
      })
      stops.push(() => server.stop())
      output.result({ url: server.url, port: server.port, peerId: node.info.peerId, market: node.deployment.market, bootstrap }, (r) =>
        [`dashboard at ${r.url}`, `market ${r.market}`, 'open it in a browser on this machine; the token in it keeps other users out', bootstrap.length ? '' : 'warning: no --bootstrap and no node running in this home: the book stays empty', 'Ctrl-C to stop'].filter(Boolean).join('\n'),
      )
      if (!signal.aborted) await once(signal, 'abort')
    } finally {
      for (const stop of stops.reverse()) await stop()
    }
  },
}
