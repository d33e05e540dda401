import { readDeployment } from '../node/chain/deployment.ts'
import { startNode, type StartNodeParameters } from '../node/daemon/startNode.ts'
import { commandAccount } from './account.ts'
import type { CommandContext } from './command.ts'
import { connect } from './connect.ts'

/**
 * Starts a node for a command from the resolved settings: the chain from --rpc and
 * the deployment file, the network from --listen and --bootstrap, the account from
 * the keystore or --private-key. Checks the chain first, so a dead RPC endpoint
 * fails before any network is joined.
 */
export async function startCliNode({ settings, signal }: CommandContext, extra: Pick<StartNodeParameters, 'provider' | 'syncOnStart'> = {}) {
  const connection = await connect(settings)
  const node = await startNode({
    home: settings.home,
    rpcUrl: settings.rpc!,
    deployment: await readDeployment(settings.deployment!),
    account: await commandAccount(settings),
    listen: settings.listen ?? ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: settings.bootstrap ?? [],
    announce: settings.announce ?? [],
    signal,
    ...extra,
  })
  return { node, connection }
}
