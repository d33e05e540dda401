import { execFile } from 'node:child_process'
import { cp, mkdtemp, rm } from 'node:fs/promises'
import { promisify } from 'node:util'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { erc20Abi, parseEventLogs, parseUnits, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { allotMarketAbi, mockPriceFeedAbi } from '../../contracts/abi/index.ts'
import { dealCollateral } from '../../protocol/pricing/dealCollateral.ts'
import { depositCollateral } from '../chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../chain/actions/ensureAllowance.ts'
import { fundInsurance } from '../chain/actions/fundInsurance.ts'
import { getHealthFactor, getPosition } from '../chain/actions/readMarket.ts'
import { devPrivateKeys, type ChainClients } from '../chain/clients.ts'
import { writeDeployment } from '../chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../chain/devMarket.ts'
import { increaseTime } from '../chain/devTime.ts'
import { submitJob, type JobProgress } from '../client/submitJob.ts'
import { startNode, type AllotNode } from '../daemon/startNode.ts'
import { startDockerEngine, type DockerEngine } from '../runtime/docker/startDockerEngine.ts'
import { findExecutable } from '../runtime/findExecutable.ts'
import { packageRoot } from './packageRoot.ts'
import { spawnAllot, type AllotProcess } from './spawnAllot.ts'

export type DemoEvent = { step: string; text: string }

export type DemoDeal = { dealId: Hex; job: string; provider: string; outcome: string; price: bigint; gas: Record<string, bigint> }

export type DemoParty = { name: string; address: Address; payment: [bigint, bigint]; collateral: [bigint, bigint] }

export type DemoReport = {
  deals: DemoDeal[]
  parties: DemoParty[]
  market: { insuranceFund: bigint; feesAccrued: bigint }
  liquidations: { kind: 'deal' | 'position'; target: string; txHash: Hex; gasUsed: bigint }[]
  /** Compensation a liquidation could not pay, as the market recorded it. */
  shortfalls: { dealId: Hex; amount: bigint }[]
  seconds: number
}

export type RunDemoParameters = { onEvent?: (event: DemoEvent) => void; keep?: boolean; signal?: AbortSignal }

// Prices in millionths of a tUSD unit per core-second and per GiB-second. The third
// provider undercuts the others, so the job meant for it goes to it.
const prices = {
  p1: { cpu: 500_000_000n, memory: 50_000_000n },
  p2: { cpu: 600_000_000n, memory: 50_000_000n },
  p3: { cpu: 400_000_000n, memory: 40_000_000n },
}

/**
 * The whole market on one machine: a local chain with the contracts, three
 * providers and a keeper as separate processes, a client submitting jobs (the C
 * examples built to WASI, a native job and a Docker job), a provider that goes silent mid-job and is liquidated
 * twice over — its position when the collateral price halves, then its deal when
 * the deadline passes — and a table of what happened.
 */
export async function runDemo({ onEvent = () => {}, keep = false, signal }: RunDemoParameters = {}): Promise<DemoReport> {
  const started = Date.now()
  const say = (step: string, text: string) => onEvent({ step, text })
  const root = await mkdtemp(join(tmpdir(), 'allot-demo-'))
  const processes: AllotProcess[] = []
  let market: DevMarket | undefined
  let client: AllotNode | undefined
  let engine: DockerEngine | undefined
  try {
    say('chain', 'starting anvil and deploying the market, tokens and price feed')
    // A Docker Engine of the demo's own starts meanwhile, where dockerd is installed.
    const starting = startDockerEngine({ signal }).catch((error: Error) => error)
    market = await startDevMarket({ signal })
    const { deployment } = market
    const deploymentPath = join(root, 'deployment.json')
    await writeDeployment(deploymentPath, deployment)
    say('chain', `market ${deployment.market} on ${market.anvil.rpcUrl}`)
    const env = { ALLOT_RPC: market.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath }
    const [owner] = market.accounts as [ChainClients]
    const clientsFor = (index: number) => market!.accounts[index]!
    const roles = { p1: 1, p2: 2, p3: 3, client: 4, keeper: 5 } as const
    const address = (index: number) => privateKeyToAccount(devPrivateKeys[index]!).address
    // What each party holds: its wallet plus what the market credits it (pull, not push: refunds wait in
    // `claimable`, compensation and bonuses taken from a provider in `vesting` for an unbonding period, settled
    // prices in the provider's `earnings`, until withdrawn).
    const held = async (token: `0x${string}`, account: `0x${string}`) => {
      const [wallet, credit, vesting] = await Promise.all([
        owner.public.readContract({ address: token, abi: erc20Abi, functionName: 'balanceOf', args: [account] }),
        owner.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'claimable', args: [token, account] }),
        owner.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'vesting', args: [token, account] }),
      ])
      const earnings = token === deployment.paymentToken ? (await owner.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'position', args: [account] })).earnings : 0n
      return wallet + credit + vesting.reduce((sum, { amount }) => sum + amount, 0n) + earnings
    }
    const balances = async () =>
      Object.fromEntries(
        await Promise.all(
          Object.entries(roles).map(async ([name, index]) => [name, await Promise.all([deployment.paymentToken, deployment.collateralToken].map((token) => held(token, address(index))))]),
        ),
      ) as Record<keyof typeof roles, [bigint, bigint]>
    const before = await balances()

    // Stakes: 100 ALS (200 tUSD of value) for the first two providers; the third
    // stakes just enough to back the one deal it will take, so a price drop hurts.
    const spin = join(packageRoot(), 'examples', 'spin')
    // The spin job's quote at p3's prices and an idle p3 (multiplier 1): 60 s × (1 core, 128 MiB), rounded up.
    const spinPrice = (60n * (1000n * prices.p3.cpu * 1024n + 128n * prices.p3.memory * 1000n) + 1000n * 1024n * 1_000_000n - 1n) / (1000n * 1024n * 1_000_000n)
    const spinCollateral = dealCollateral(spinPrice, 20_000)
    const p3Stake = (spinCollateral * 10n ** 12n * 10_000n * 103n) / (8_000n * 2n * 100n)
    for (const [name, stake] of [['p1', parseUnits('100', 18)], ['p2', parseUnits('100', 18)], ['p3', p3Stake]] as const) {
      const clients = clientsFor(roles[name])
      await ensureAllowance(clients, { token: deployment.collateralToken, spender: deployment.market, amount: stake })
      await depositCollateral(clients, { deployment, amount: stake })
    }
    say('stake', `providers staked 100, 100 and ${Number(p3Stake) / 1e18} ALS (ALS is priced at 2.00 tUSD by the feed)`)
    // The insurance fund tops up a client whose provider's collateral falls short.
    await ensureAllowance(owner, { token: deployment.paymentToken, spender: deployment.market, amount: parseUnits('10', 6) })
    await fundInsurance(owner, { deployment, amount: parseUnits('10', 6) })
    say('insurance', 'the market owner put 10 tUSD in the insurance fund')

    // p1 also sells native processes (under bubblewrap) and Docker containers, where this machine can.
    const dockerStart = await starting
    const dockerJob = join(root, 'docker-wordcount')
    if (dockerStart instanceof Error) say('docker', `no Docker Engine could be started here, so the Docker job is left out (${dockerStart.message.split('\n')[0]})`)
    else {
      engine = dockerStart
      await cp(join(packageRoot(), 'examples', 'docker-wordcount'), dockerJob, { recursive: true })
      const { stdout } = await promisify(execFile)(join(dockerJob, 'build.sh'), [dockerJob], { env: { ...process.env, DOCKER_HOST: engine.host } })
      say('docker', `dockerd on ${engine.host}; examples/docker-wordcount's image ${stdout.trim().slice(0, 19)}… built from busybox with no registry`)
    }
    const sandbox = await findExecutable('bwrap')
    if (!sandbox) say('process', 'bubblewrap is not installed here, so the native job is left out')
    const p1Runtimes = ['wasm', ...(sandbox ? ['process'] : []), ...(engine ? ['docker'] : [])].join(',')
    const startProvider = (name: 'p1' | 'p2' | 'p3', bootstrap: string[]) => {
      const index = roles[name]
      const provider = spawnAllot(
        [
          'provider', 'start', '--home', join(root, name), '--cpu', '2000', '--memory', '2048', '--disk', '1024', '--price-cpu', String(prices[name].cpu), '--price-memory', String(prices[name].memory),
          ...(name === 'p1' ? ['--runtimes', p1Runtimes] : []),
          ...(bootstrap.length ? ['--bootstrap', ...bootstrap] : []),
        ],
        { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[index], ...(name === 'p1' && engine ? { DOCKER_HOST: engine.host } : {}) },
      )
      processes.push(provider)
      return provider
    }
    const p1 = startProvider('p1', [])
    const p1Info = await p1.ready
    const bootstrap = [p1Info.addresses[0] as string]
    const p2 = startProvider('p2', bootstrap)
    const keeper = spawnAllot(['keeper', 'start', '--home', join(root, 'keeper'), '--polling-interval', '200'], { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[roles.keeper] })
    processes.push(keeper)
    // The keeper prints its JSON summary only when it stops; it needs no wait, it reads events from the deployment block on.
    await p2.ready
    say('network', `providers p1 ${p1Info.peerId.slice(0, 16)}… and p2 up, keeper watching; bootstrap ${bootstrap[0]}`)

    client = await startNode({
      home: join(root, 'client'),
      rpcUrl: market.anvil.rpcUrl,
      deployment,
      account: privateKeyToAccount(devPrivateKeys[roles.client]!),
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      syncOnStart: true,
      signal,
    })
    const node = client
    const deals: DemoDeal[] = []
    const submit = async (job: string, folder: string, options: { wait?: boolean; onProgress?: (p: JobProgress) => void } = {}) => {
      const gas: Record<string, bigint> = {}
      let provider = ''
      const result = await submitJob(
        { host: node.host, clients: node.clients, deployment, book: node.book, jobs: node.jobs },
        {
          home: join(root, 'client'),
          folder,
          maxPrice: parseUnits('1', 6),
          wait: options.wait,
          signal,
          onProgress: (progress) => {
            if (progress.step === 'deal-opened') {
              gas.openDeal = progress.gasUsed
              provider = progress.terms.provider
              say('deal', `${job}: deal ${progress.dealId.slice(0, 12)}… opened with ${nameOf(provider)} at ${Number(progress.terms.price) / 1e6} tUSD`)
            }
            if (progress.step === 'declined') say('declined', `${job}: ${nameOf(progress.provider)} declined (${progress.reason})`)
            if (progress.step === 'settled') gas.settle = progress.gasUsed
            if (progress.step === 'downloaded') say('result', `${job}: result fetched and checked against the committed hash, exit code ${progress.exitCode}`)
            options.onProgress?.(progress)
          },
        },
      )
      const deal: DemoDeal = { dealId: result.deal.dealId, job, provider: nameOf(provider), outcome: result.exitCode === undefined ? 'open' : 'settled', price: result.deal.terms.price, gas }
      deals.push(deal)
      return deal
    }
    const nameOf = (provider: string) => Object.entries(roles).find(([, index]) => address(index).toLowerCase() === provider.toLowerCase())?.[0] ?? provider

    await waitFor(() => node.orderBook.asks().length >= 2, 15_000, () => `the two providers’ asks to reach the client (it has ${node.orderBook.asks().length}; book stats ${JSON.stringify(node.orderBook.stats(), (_k, v) => (typeof v === 'bigint' ? String(v) : v))})`)
    say('jobs', 'submitting the C examples built to wasm32-wasi')
    await submit('checksum (C → WASI)', join(packageRoot(), 'examples', 'checksum'))
    await submit('sum (C → WASI)', join(packageRoot(), 'test', 'fixtures', 'jobs', 'sum'))
    await submit('spin 3 s (C → WASI)', spin)
    if (sandbox) await submit('wordcount (native, bubblewrap)', join(packageRoot(), 'examples', 'process-wordcount'))
    if (engine) await submit('wordcount (Docker, image in the job)', dockerJob)

    // The third provider joins, undercuts the others, takes a job, and goes silent.
    const p3 = startProvider('p3', bootstrap)
    await p3.ready
    await waitFor(() => node.orderBook.asks().length >= 3, 15_000, 'the third provider’s ask')
    // A provider re-signs its ask once its view of the chain settles after start; proposing
    // on the first one can meet `ask-unknown`. Wait until p3's ask has held for a second.
    const p3Ask = () => node.orderBook.asks().find((entry) => entry.signed.ask.provider.toLowerCase() === address(roles.p3).toLowerCase())?.signed.ask.sequence
    let lastSequence = p3Ask()
    let heldSince = Date.now()
    await waitFor(
      () => {
        const sequence = p3Ask()
        if (sequence !== lastSequence) [lastSequence, heldSince] = [sequence, Date.now()]
        return Date.now() - heldSince >= 1000
      },
      15_000,
      'the third provider’s ask to settle',
    )
    say('fault', 'p3 joins with the lowest price; its next job will never finish')
    const stalled = await submit('spin (p3 goes silent)', spin, {
      wait: false,
      onProgress: (progress) => {
        if (progress.step !== 'deal-opened') return
        if (progress.terms.provider.toLowerCase() !== address(roles.p3).toLowerCase()) throw new Error(`the stalled job went to ${nameOf(progress.terms.provider)}, not p3`)
        p3.child.kill('SIGSTOP')
      },
    })
    say('fault', `p3 (pid ${p3.child.pid}) stopped with SIGSTOP right after its deal opened`)

    // The collateral price halves: p3's health factor falls below 1.
    const hash = await owner.wallet.writeContract({ address: deployment.priceFeed!, abi: mockPriceFeedAbi, functionName: 'setAnswer', args: [1n * 10n ** 8n] } as never)
    await owner.public.waitForTransactionReceipt({ hash })
    const hf = await getHealthFactor(owner, { deployment, provider: address(roles.p3) })
    say('price', `ALS falls from 2.00 to 1.00 tUSD; p3’s health factor is now ${(Number(hf) / 1e18).toFixed(3)}`)
    const positionLiquidation = await waitForEvent(owner, deployment.market, 'PositionLiquidated', 20_000)
    say('keeper', `keeper liquidated p3’s position: paid ${Number(positionLiquidation.args.repaid) / 1e6} tUSD of coverage for ${Number(positionLiquidation.args.collateralSeized) / 1e18} ALS`)

    // Past the deadline with no result: the keeper liquidates the deal.
    const position = await getPosition(owner, { deployment, provider: address(roles.p3) })
    say('time', `moving the chain clock past the deadline (p3 obligations ${Number(position.obligations) / 1e6} tUSD, coverage ${Number(position.coverage) / 1e6} tUSD)`)
    await increaseTime(owner, 60 + 120 + 5)
    const dealLiquidation = await waitForEvent(owner, deployment.market, 'DealLiquidated', 20_000)
    stalled.outcome = 'liquidated: refund + compensation'
    // The refund is claimable at once; the compensation came out of p3's stake, so it vests like a withdrawal would.
    const vestedUntil = new Date(Number(dealLiquidation.args.vestedUntil) * 1000).toISOString().replace('T', ' ').slice(0, 16)
    say('keeper', `keeper liquidated the stalled deal: the client was credited ${Number(dealLiquidation.args.refund) / 1e6} tUSD back (claimable now) and ${Number(dealLiquidation.args.compensation) / 1e6} tUSD of compensation (claimable from ${vestedUntil} UTC, chain time)`)

    const liquidations = await Promise.all(
      [
        { kind: 'position' as const, target: 'p3', event: positionLiquidation },
        { kind: 'deal' as const, target: stalled.dealId, event: dealLiquidation },
      ].map(async ({ kind, target, event }) => ({ kind, target, txHash: event.transactionHash as Hex, gasUsed: (await owner.public.getTransactionReceipt({ hash: event.transactionHash as Hex })).gasUsed })),
    )
    stalled.gas.liquidateDeal = liquidations[1]!.gasUsed
    for (const deal of deals) {
      const committed = await owner.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'ResultCommitted', args: { dealId: deal.dealId }, fromBlock: 0n })
      if (committed[0]) deal.gas.commitResult = (await owner.public.getTransactionReceipt({ hash: committed[0].transactionHash })).gasUsed
    }

    const after = await balances()
    const [insuranceFund, feesAccrued] = await Promise.all([
      owner.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'insuranceFund' }),
      owner.public.readContract({ address: deployment.market, abi: allotMarketAbi, functionName: 'feesAccrued' }),
    ])
    const parties: DemoParty[] = Object.entries(roles).map(([name, index]) => ({
      name,
      address: address(index),
      payment: [before[name as keyof typeof roles][0], after[name as keyof typeof roles][0]],
      collateral: [before[name as keyof typeof roles][1], after[name as keyof typeof roles][1]],
    }))
    const shortfallLogs = await owner.public.getContractEvents({ address: deployment.market, abi: allotMarketAbi, eventName: 'CompensationShortfall', fromBlock: 0n })
    const shortfalls = parseEventLogs({ abi: allotMarketAbi, eventName: 'CompensationShortfall', logs: shortfallLogs }).map((log) => ({ dealId: log.args.dealId, amount: log.args.amount }))
    return { deals, parties, market: { insuranceFund, feesAccrued }, liquidations, shortfalls, seconds: (Date.now() - started) / 1000 }
  } finally {
    await client?.stop()
    await Promise.all(processes.map((process) => process.stop()))
    await market?.stop()
    await engine?.stop()
    if (!keep) await rm(root, { recursive: true, force: true })
    else say('kept', root)
  }
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string | (() => string)) {
  const deadline = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

async function waitForEvent<name extends 'PositionLiquidated' | 'DealLiquidated'>(clients: ChainClients, market: Address, eventName: name, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    const logs = await clients.public.getContractEvents({ address: market, abi: allotMarketAbi, eventName, fromBlock: 0n })
    const [event] = parseEventLogs({ abi: allotMarketAbi, eventName, logs })
    if (event) return event
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`no ${eventName} within ${timeoutMs / 1000} s: is the keeper running?`)
}
