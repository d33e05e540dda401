import type { ChainChange } from '../node/chain/watchChain.ts'
import { BaseError } from '../protocol/errors/base.ts'

/** The market the deployment file names has not been on its chain for a while: nothing to wait for. */
export class DeploymentGoneError extends BaseError {
  override name = 'DeploymentGoneError'
  constructor({ path, seconds, reason }: { path: string; seconds: number; reason: string }) {
    super(`The market in ${path} has been unusable for ${seconds} s: ${reason}.`, {
      hint: 'Start a market with `allot chain dev` (it rewrites the deployment file), or point --deployment and --rpc at a live one, then start again.',
    })
  }
}

/**
 * Ends a long-running command when the market stays gone (no code at its address, or
 * another chain id) for `afterMs`: a restarted dev chain redeploys within seconds; one
 * that does not is not coming back.
 */
export function exitWhenDeploymentGone(path: string, fail: (error: unknown) => void, afterMs = 60_000) {
  let timer: NodeJS.Timeout | undefined
  return {
    observe(change: ChainChange) {
      clearTimeout(timer)
      if (change.type === 'down' && (change.condition === 'gone' || change.condition === 'wrong-chain'))
        timer = setTimeout(() => fail(new DeploymentGoneError({ path, seconds: Math.round(afterMs / 1000), reason: change.reason })), afterMs).unref()
    },
  }
}

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
