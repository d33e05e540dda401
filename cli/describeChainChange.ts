import type { ChainChange } from '../node/chain/watchChain.ts'

/**
 * The terminal line for a change of the chain under a running node, shown without
 * DEBUG: what happened, what the node does about it, and what the person can do.
 */
export function describeChainChange(change: ChainChange, role: 'provider' | 'client' | 'keeper'): [string, string] {
  const stops = { provider: 'stopped signing deals and advertising', client: 'will not open deals', keeper: 'stopped liquidating' }[role]
  if (change.type === 'up')
    return [
      'chain back',
      change.resync
        ? `the chain's history changed: ${role === 'keeper' ? 'forgot its deals and reads' : 'reads'} the market anew from its deployment block; deals of the old chain are gone${role === 'provider' ? '; advertising again' : ''}`
        : `after ${Math.round(change.downFor / 1000)} s; ${role === 'provider' ? 'signing and advertising again' : 'carrying on'}`,
    ]
  const hint = {
    unreachable: 'waiting for it to answer again (start it with `allot chain dev`, or check --rpc)',
    'wrong-chain': 'waiting for the right chain (check --rpc and the deployment file)',
    gone: 'waiting for the market to be deployed again; if it is gone for good, stop with Ctrl-C and point --deployment at a live market',
    restarted: 'resyncing from the deployment block once it is stable',
  }[change.condition]
  return ['chain changed', `${change.reason}: ${stops}; ${hint}`]
}
