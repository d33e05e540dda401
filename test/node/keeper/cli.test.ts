import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { devPrivateKeys, type ChainClients } from '../../../node/chain/clients.ts'
import { writeDeployment } from '../../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../../node/chain/devMarket.ts'
import { chainTime, increaseTime } from '../../../node/chain/devTime.ts'
import { runCli, startCli } from '../../helpers/cli.ts'
import { approveBoth, openTestDeal, prepareProvider, waitFor } from './helpers.ts'

let home: string
test.before(async () => {
  home = await mkdtemp(join(tmpdir(), 'allot-keeper-cli-'))
})
test.after(async () => {
  await rm(home, { recursive: true, force: true })
})

test('keeper start without a key fails naming the keystore, and hints at allot init and --private-key', async () => {
  const result = await runCli(['keeper', 'start', '--home', home, '--json'])
  assert.is(result.code, 1)
  const printed = result.json()
  assert.is(printed.error.name, 'KeyNotFoundError')
  assert.match(printed.error.hint, '--private-key')
  assert.match(printed.error.hint, 'allot init')
})

test('a bad --min-profit is a usage error naming the flag', async () => {
  const result = await runCli(['keeper', 'start', '--home', home, '--min-profit', 'lots'], { env: { ALLOT_PRIVATE_KEY: devPrivateKeys[3] } })
  assert.is(result.code, 2)
  assert.match(result.stderr, '--min-profit')
})

test('keeper start prints each liquidation and, with --json, one summary document when stopped', async () => {
  let market: DevMarket | undefined
  try {
    market = await startDevMarket()
    const [owner, provider, client] = market.accounts as [ChainClients, ChainClients, ChainClients]
    await prepareProvider(market, provider)
    await approveBoth(market.deployment, client)
    await writeDeployment(join(home, 'deployment.json'), market.deployment)

    const cli = startCli(['keeper', 'start', '--home', home, '--rpc', market.anvil.rpcUrl, '--polling-interval', '100', '--json'], {
      env: { ALLOT_PRIVATE_KEY: devPrivateKeys[3] },
    })
    try {
      await waitFor(() => cli.stderr().includes('started'), { what: 'the keeper to start' })
      assert.is(cli.stdout(), '', 'stdout holds only the final document')

      const now = await chainTime(owner)
      const { dealId } = await openTestDeal(market, provider, client, { deadline: now + 90n })
      await increaseTime(owner, 120)
      await waitFor(() => cli.stderr().includes('liquidated'), { what: 'a liquidation line' })
      assert.match(cli.stderr(), `deal ${dealId.slice(0, 10)}`)

      assert.is(await cli.stop(), 0, cli.stderr())
      const summary = JSON.parse(cli.stdout())
      assert.is(summary.ok, true)
      assert.is(summary.liquidations.length, 1)
      assert.is(summary.liquidations[0].dealId, dealId)
      assert.is(summary.liquidations[0].reason, 'deadline')
      assert.is(summary.metrics.dealsLiquidated, 1)
      assert.is(summary.metrics.errors, 0)
    } finally {
      // A no-op after a clean stop; after a failure it keeps the keeper from running on.
      await cli.stop()
    }
  } finally {
    await market?.stop()
  }
})

test.run()
