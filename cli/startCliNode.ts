import type { PrivateKeyAccount } from 'viem/accounts'
import { startNode, type StartNodeParameters } from '../node/daemon/startNode.ts'
import type { CommandContext } from './command.ts'
import { connect, type ConnectOptions } from './connect.ts'
import type { MetricsAddress } from '../node/metrics/parseMetricsAddress.ts'
import { startMetrics } from './commands/metricsOption.ts'
import { describeChainChange, exitWhenDeploymentGone } from './describeChainChange.ts'

/**
 * Starts a node for a command from the resolved settings: the chain from --rpc and
 * the deployment file, the network from --listen and --bootstrap, the account from
 * the keystore or --private-key. Checks the chain first, so a dead RPC endpoint
 * fails before any network is joined. With `metrics`, serves the node's registry
 * there until the node stops.
 */
export async function startCliNode(
  { settings, resolved, signal, output, fail }: CommandContext,
  { metrics, reads, ...extra }: Pick<StartNodeParameters, 'provider' | 'syncOnStart'> & ConnectOptions & { metrics?: MetricsAddress | undefined } = {},
) {
  const connection = await connect(settings, resolved, { reads })
  const gone = exitWhenDeploymentGone(settings.deployment!, fail)
  const node = await startNode({
    home: settings.home,
    rpcUrl: connection.clients.rpcUrl,
    deployment: connection.deployment,
    account: connection.clients.wallet.account as PrivateKeyAccount,
    listen: settings.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: settings.bootstrap ?? [],
    announce: settings.announce ?? [],
    signal,
    onChainChange: (change) => {
      output.progress(...describeChainChange(change, extra.provider ? 'provider' : 'client'))
      gone.observe(change)
    },
    ...extra,
  })
  const server = await startMetrics(node.registry, metrics, output).catch(async (error) => {
    await node.stop()
    throw error
  })
  if (!server) return { node, connection }
  const stop = async () => {
    await server.stop()
    await node.stop()
  }
  return { node: { ...node, stop }, connection }
}
