import { once } from 'node:events'
import { startDevMarket } from '../../node/chain/devMarket.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import type { CommandSpec } from '../command.ts'
import { parseInteger } from './parse.ts'

export const chainDev: CommandSpec = {
  path: ['chain', 'dev'],
  summary: 'start a local chain with the market, mock tokens and price feed deployed; runs until interrupted',
  options: [
    { flags: '--port <port>', description: 'loopback port for the RPC endpoint (0 picks a free one)', defaultValue: 8545, parse: parseInteger('--port', 0, 65535) },
    { flags: '--block-time <seconds>', description: 'mine a block every N seconds instead of one per transaction', parse: parseInteger('--block-time', 1, 3600) },
    { flags: '--same-token', description: 'use the payment token as collateral (no price feed)' },
  ],
  examples: ['allot chain dev', 'allot chain dev --port 0 --json', 'allot chain dev --block-time 1 --home ./market'],
  async run(_args, options, { settings, output, signal }) {
    const market = await startDevMarket({
      port: options.port as number,
      blockTime: options.blockTime as number | undefined,
      collateral: options.sameToken ? 'same' : 'separate',
      signal,
    })
    const { anvil, deployment } = market
    const accounts = market.accounts.map((clients) => clients.wallet.account.address)
    try {
      const deploymentPath = settings.deployment!
      await writeDeployment(deploymentPath, deployment)
      output.result({ rpcUrl: anvil.rpcUrl, deploymentPath, deployment, accounts }, () =>
        [
          `local chain ${deployment.chainId} at ${anvil.rpcUrl}`,
          `deployment file  ${deploymentPath}`,
          `market           ${deployment.market}`,
          `payment token    ${deployment.paymentToken} (tUSD, 6 decimals)`,
          `collateral token ${deployment.collateralToken}${deployment.priceFeed ? ` (ALS, 18 decimals, feed ${deployment.priceFeed})` : ' (same as payment)'}`,
          `dev accounts     ${accounts.length}, each funded with 1,000,000 tUSD${deployment.priceFeed ? ' and 1,000,000 ALS' : ''} (anvil's well-known keys)`,
          '',
          'Press Ctrl-C to stop.',
        ].join('\n'),
      )
      if (!signal.aborted) await Promise.race([once(signal, 'abort'), once(anvil.process, 'exit')])
    } finally {
      await anvil.stop()
    }
  },
}
