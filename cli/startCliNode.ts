import type { PrivateKeyAccount } from 'viem/accounts'
import { startNode, type StartNodeParameters } from '../node/daemon/startNode.ts'
import type { CommandContext } from './command.ts'
import { connect } from './connect.ts'
import { describeChainChange, exitWhenDeploymentGone } from './describeChainChange.ts'

/**
 * Starts a node for a command from the resolved settings: the chain from --rpc and
 * the deployment file, the network from --listen and --bootstrap, the account from
 * the keystore or --private-key. Checks the chain first, so a dead RPC endpoint
 * fails before any network is joined.
 */
export async function startCliNode({ settings, resolved, signal, output, fail }: CommandContext, extra: Pick<StartNodeParameters, 'provider' | 'syncOnStart'> = {}) {
  const connection = await connect(settings, resolved)
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
  return { node, connection }
}
