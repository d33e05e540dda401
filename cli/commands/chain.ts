import { once } from 'node:events'
import { createPublicClient, http } from 'viem'
import { startDevMarket } from '../../node/chain/devMarket.ts'
import { readDeployment, writeDeployment } from '../../node/chain/deployment.ts'
import { AnvilExitedError } from '../../node/chain/errors.ts'
import { BaseError } from '../../protocol/errors/base.ts'
import type { CommandSpec } from '../command.ts'
import { parseInteger } from './parse.ts'

/** The deployment file names a chain that still answers, with the market's code on it. */
export class ChainRunningError extends BaseError {
  override name = 'ChainRunningError'
  constructor({ path, rpcUrl }: { path: string; rpcUrl: string }) {
    super(`The deployment file ${path} belongs to a chain that is still running at ${rpcUrl}.`, {
      hint: 'Use that chain, or stop it first; to run a second one, give it its own home (--home DIR) or deployment file (--deployment FILE). --force overwrites the file anyway.',
    })
  }
}

export const chainDev: CommandSpec = {
  path: ['chain', 'dev'],
  summary: 'start a local chain with the market, mock tokens and price feed deployed; runs until interrupted (its state dies with it)',
  options: [
    { flags: '--port <port>', description: 'loopback port for the RPC endpoint (0 picks a free one)', defaultValue: 8545, parse: parseInteger('--port', 0, 65535) },
    { flags: '--block-time <seconds>', description: 'mine a block every N seconds, so the chain clock moves and deadlines pass without traffic', defaultValue: 1, parse: parseInteger('--block-time', 1, 3600) },
    { flags: '--same-token', description: 'use the payment token as collateral (no price feed)' },
    { flags: '--force', description: 'overwrite the deployment file even when the chain it names is still running' },
  ],
  examples: ['allot chain dev', 'allot chain dev --port 0 --json', 'allot chain dev --block-time 2 --home ./market'],
  async run(_args, options, { settings, output, signal }) {
    const deploymentPath = settings.deployment!
    if (!options.force) await refuseRunningChain(deploymentPath)
    const market = await startDevMarket({
      port: options.port as number,
      blockTime: options.blockTime as number,
      // Transactions are still mined at once; the interval blocks move the clock when nothing happens.
      mixedMining: true,
      collateral: options.sameToken ? 'same' : 'separate',
      signal,
    })
    const { anvil, deployment } = market
    const accounts = market.accounts.map((clients) => clients.wallet.account.address)
    try {
      await writeDeployment(deploymentPath, deployment)
      output.result({ rpcUrl: anvil.rpcUrl, deploymentPath, deployment, accounts, blockTime: options.blockTime }, () =>
        [
          `local chain ${deployment.chainId} at ${anvil.rpcUrl}, a block every ${options.blockTime} s`,
          `deployment file  ${deploymentPath}`,
          `market           ${deployment.market}`,
          `payment token    ${deployment.paymentToken} (tUSD, 6 decimals)`,
          `collateral token ${deployment.collateralToken}${deployment.priceFeed ? ` (ALS, 18 decimals, feed ${deployment.priceFeed})` : ' (same as payment)'}`,
          `dev accounts     ${accounts.length}, each funded with 1,000,000 tUSD${deployment.priceFeed ? ' and 1,000,000 ALS' : ''} (anvil's well-known keys)`,
          '',
          'The chain lives in memory: its deals and balances are gone when it stops. Press Ctrl-C to stop.',
        ].join('\n'),
      )
      if (signal.aborted) return
      const ended = await Promise.race([once(signal, 'abort').then(() => undefined), anvil.exited])
      if (ended) throw new AnvilExitedError({ ...ended, output: anvil.output() })
    } finally {
      await anvil.stop()
    }
  },
}

async function refuseRunningChain(path: string) {
  const existing = await readDeployment(path).catch(() => undefined)
  if (!existing?.rpcUrl) return
  const client = createPublicClient({ transport: http(existing.rpcUrl, { retryCount: 0, timeout: 2_000 }) })
  const running = await Promise.all([client.getChainId(), client.getCode({ address: existing.market })]).then(
    ([chainId, code]) => chainId === existing.chainId && code !== undefined && code !== '0x',
    () => false,
  )
  if (running) throw new ChainRunningError({ path, rpcUrl: existing.rpcUrl })
}
