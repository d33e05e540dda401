// npm run bench:e2e — jobs through the whole market on one machine: anvil with the
// market deployed, three `allot provider start` processes (100 ALS staked each), and
// an in-process client node submitting test/fixtures/jobs/sum (a 40 ms WASI job)
// with submitJob. Each job is a fresh copy whose numbers.txt gains one number, so
// every job has its own hash (the provider fetches every job) and a known sum.
//
// Latency is measured from the call to submitJob ("submit") to its 'running'
// progress event (the first log line reached the client) and to its 'settled' event.
// One warm-up job runs first and is not counted. Then jobs run one at a time
// (the figures of the last line), then a concurrent phase keeps several in flight.
//
// The breakdown puts client progress events beside the providers' own log lines
// (DEBUG=allot:provider, timestamped by `debug`: 'offered deal', 'running deal',
// 'committed result'), all on this machine's clock, and counts the client's
// JSON-RPC calls per stage (the client's chain clients are wrapped to time them).
// Prints a table and, as its last line, {"jobs","submitToRunningP50Ms",…}.
//
// Options: --jobs N (sequential, default 20), --concurrent M (jobs in the
// concurrent phase, default 12; 0 skips it), --in-flight K (default 4), --plain-nonces
// (the concurrent phase without viem's nonce manager on the client account).
import { setMaxListeners } from 'node:events'
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { loadavg, tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { createPublicClient, createWalletClient, http, nonceManager, parseUnits, type Hex, type Transport } from 'viem'
import { privateKeyToAccount, type PrivateKeyAccount } from 'viem/accounts'
import { anvil } from 'viem/chains'
import { depositCollateral } from '../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../node/chain/actions/ensureAllowance.ts'
import { devPrivateKeys, type ChainClients } from '../node/chain/clients.ts'
import { writeDeployment } from '../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../node/chain/devMarket.ts'
import { submitJob, type JobProgress } from '../node/client/submitJob.ts'
import { startNode, type AllotNode } from '../node/daemon/startNode.ts'
import { spawnAllot, type AllotProcess } from '../node/demo/spawnAllot.ts'
import { quantile } from './orders.ts'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const { values } = parseArgs({
  options: {
    jobs: { type: 'string', default: '20' },
    concurrent: { type: 'string', default: '12' },
    'in-flight': { type: 'string', default: '4' },
    /** Concurrent phase without viem's nonce manager on the client account: shows the nonce races of concurrent submits. */
    'plain-nonces': { type: 'boolean', default: false },
  },
})
const sequentialJobs = Number(values.jobs)
const concurrentJobs = Number(values.concurrent)
const inFlight = Number(values['in-flight'])
const plainNonces = values['plain-nonces']
const sumJob = join(root, 'test', 'fixtures', 'jobs', 'sum')
const baseSum = 155
// Everything this benchmark starts is stopped well inside three minutes, whatever happens.
const deadline = AbortSignal.timeout(160_000)
// Every submission, stream and RPC of the run listens to it.
setMaxListeners(1_000, deadline)
const providerNames = ['p1', 'p2', 'p3'] as const
const roles = { p1: 1, p2: 2, p3: 3, client: 4 } as const

type Step = JobProgress['step']
type RpcCall = { method: string; start: number; end: number }
type JobRun = {
  index: number
  phase: 'warm-up' | 'sequential' | 'concurrent'
  submitted: number
  at: Partial<Record<Step, number>>
  dealId?: Hex
  provider?: string
  declines: string[]
  error?: string
}
type ProviderMarks = { offered?: number; running?: number; committed?: number }

/** Chain clients for the client account whose every JSON-RPC call is timed into `calls`. */
function tracedClients(rpcUrl: string, account: PrivateKeyAccount, calls: RpcCall[]): ChainClients {
  const base = http(rpcUrl, { retryCount: 1, timeout: 10_000 })
  const transport = ((parameters: Parameters<typeof base>[0]) => {
    const inner = base(parameters)
    return {
      ...inner,
      request: async (args: { method: string }, options?: unknown) => {
        const start = Date.now()
        try {
          return await (inner.request as (args: unknown, options?: unknown) => Promise<unknown>)(args, options)
        } finally {
          calls.push({ method: args.method, start, end: Date.now() })
        }
      },
    }
  }) as unknown as Transport
  return {
    public: createPublicClient({ chain: anvil, transport, pollingInterval: 100 }) as ChainClients['public'],
    wallet: createWalletClient({ chain: anvil, transport, account, pollingInterval: 100 }),
    rpcUrl,
  }
}

/** A copy of the sum job whose numbers.txt also holds `extra`: its own job hash, and a sum of 155 + extra. */
async function jobFolder(home: string, extra: number): Promise<string> {
  const folder = join(home, 'jobs', String(extra))
  await cp(sumJob, folder, { recursive: true })
  const numbers = join(folder, 'numbers.txt')
  await writeFile(numbers, `${(await readFile(numbers, 'utf8')).trimEnd()} ${extra}\n`)
  return folder
}

/** The providers' `debug` lines that mark a deal's steps, by deal id. */
function providerMarks(outputs: string[]): Map<string, ProviderMarks> {
  const marks = new Map<string, ProviderMarks>()
  const pattern = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z) allot:provider (offered deal|running deal|committed result 0x[0-9a-fA-F]+ for deal) (0x[0-9a-fA-F]{64})/
  for (const output of outputs) {
    for (const line of output.split('\n')) {
      const match = pattern.exec(line)
      if (!match) continue
      const [, time, what, dealId] = match as unknown as [string, string, string, string]
      const entry = marks.get(dealId.toLowerCase()) ?? {}
      const key = what.startsWith('offered') ? 'offered' : what.startsWith('running') ? 'running' : 'committed'
      entry[key] ??= Date.parse(time)
      marks.set(dealId.toLowerCase(), entry)
    }
  }
  return marks
}

async function waitFor(condition: () => boolean, timeoutMs: number, what: string) {
  const until = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

const home = await mkdtemp(join(tmpdir(), 'allot-bench-e2e-'))
const processes: AllotProcess[] = []
const runs: JobRun[] = []
const calls: RpcCall[] = []
let market: DevMarket | undefined
let client: AllotNode | undefined
let providerAddress: Record<string, string> = {}
let setupMs = 0
let sequentialWallMs = 0
let concurrentWallMs = 0
/** Streams still open on the client's connections once every job has settled, by protocol: a leak shows here. */
const openStreams: Record<string, number> = {}
try {
  const setupStart = Date.now()
  market = await startDevMarket({ signal: deadline })
  const { deployment } = market
  if (deployment.chainId !== anvil.id) throw new Error(`expected anvil's chain id ${anvil.id}, got ${deployment.chainId}`)
  const deploymentPath = join(home, 'deployment.json')
  await writeDeployment(deploymentPath, deployment)
  const env = { ALLOT_RPC: market.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath, DEBUG: 'allot:provider,allot:provider:error' }
  const stake = parseUnits('100', 18)
  for (const name of providerNames) {
    const clients = market.accounts[roles[name]]!
    await ensureAllowance(clients, { token: deployment.collateralToken, spender: deployment.market, amount: stake, signal: deadline })
    await depositCollateral(clients, { deployment, amount: stake, signal: deadline })
  }
  providerAddress = Object.fromEntries(providerNames.map((name) => [privateKeyToAccount(devPrivateKeys[roles[name]]!).address.toLowerCase(), name]))

  const startProvider = (name: (typeof providerNames)[number], bootstrap: string[]) => {
    const provider = spawnAllot(['provider', 'start', '--home', join(home, name), '--listen', '/ip4/127.0.0.1/tcp/0', '--cpu', '2000', '--memory', '2048', '--disk', '1024', ...(bootstrap.length ? ['--bootstrap', ...bootstrap] : [])], {
      ...env,
      ALLOT_PRIVATE_KEY: devPrivateKeys[roles[name]],
    })
    processes.push(provider)
    return provider
  }
  const first = await startProvider('p1', []).ready
  const bootstrap = [first.addresses[0] as string]
  await Promise.all([startProvider('p2', bootstrap).ready, startProvider('p3', bootstrap).ready])

  const account = privateKeyToAccount(devPrivateKeys[roles.client]!)
  client = await startNode({ home: join(home, 'client'), rpcUrl: market.anvil.rpcUrl, deployment, account, listen: ['/ip4/127.0.0.1/tcp/0'], bootstrap, syncOnStart: true, signal: deadline })
  const node = client
  await waitFor(() => node.orderBook.asks().length >= 3, 30_000, `three asks in the client's book (it has ${node.orderBook.asks().length})`)
  setupMs = Date.now() - setupStart

  const clients = tracedClients(market.anvil.rpcUrl, account, calls)
  // Concurrent submits from one account race for nonces (each write reads the pending count):
  // that phase gives the account viem's nonce manager unless --plain-nonces.
  const concurrentClients = plainNonces ? clients : tracedClients(market.anvil.rpcUrl, privateKeyToAccount(devPrivateKeys[roles.client]!, { nonceManager }), calls)
  const runJob = async (index: number, phase: JobRun['phase']) => {
    const components = { host: node.host, clients: phase === 'concurrent' ? concurrentClients : clients, deployment, book: node.book, jobs: node.jobs }
    const folder = await jobFolder(home, index)
    const run: JobRun = { index, phase, submitted: 0, at: {}, declines: [] }
    runs.push(run)
    try {
      run.submitted = Date.now()
      const result = await submitJob(components, {
        home: join(home, 'client'),
        folder,
        maxPrice: parseUnits('1', 6),
        signal: deadline,
        onProgress: (progress) => {
          run.at[progress.step] ??= Date.now()
          if (progress.step === 'declined') run.declines.push(`${providerAddress[progress.provider.toLowerCase()] ?? progress.provider} after ${Date.now() - run.submitted} ms: ${progress.reason}`)
          if (progress.step === 'deal-opened') {
            run.dealId = progress.dealId
            run.provider = providerAddress[progress.terms.provider.toLowerCase()] ?? progress.terms.provider
          }
        },
      })
      const stdout = await readFile(join(result.deal.resultDir, 'stdout'), 'utf8')
      if (result.exitCode !== 0 || stdout !== `sum=${baseSum + index}\n`) throw new Error(`job ${index}: exit code ${result.exitCode}, stdout ${JSON.stringify(stdout)}`)
    } catch (error) {
      if (deadline.aborted) throw error
      run.error = (error as Error).message.split('\n')[0]
    }
  }

  await runJob(0, 'warm-up')
  const sequentialStart = Date.now()
  for (let index = 1; index <= sequentialJobs; index++) await runJob(index, 'sequential')
  sequentialWallMs = Date.now() - sequentialStart

  if (concurrentJobs > 0) {
    const concurrentStart = Date.now()
    let next = sequentialJobs + 1
    const last = sequentialJobs + concurrentJobs
    await Promise.all(
      Array.from({ length: inFlight }, async () => {
        while (next <= last) await runJob(next++, 'concurrent')
      }),
    )
    concurrentWallMs = Date.now() - concurrentStart
  }
  await new Promise((resolve) => setTimeout(resolve, 500))
  for (const stream of node.host.getConnections().flatMap((connection) => connection.streams)) {
    const key = `${stream.protocol ?? '?'} (${stream.direction})`
    openStreams[key] = (openStreams[key] ?? 0) + 1
  }
} finally {
  await client?.stop().catch(() => {})
  await Promise.all(processes.map((process) => process.stop()))
  await market?.stop()
  await rm(home, { recursive: true, force: true })
}

const marks = providerMarks(processes.map((process) => process.output()))
const providerErrors = processes.flatMap((process, index) =>
  process
    .output()
    .split('\n')
    .filter((line) => / allot:provider:error /.test(line))
    .map((line) => `${providerNames[index]}: ${line.replace(/^\S+ allot:provider:error /, '').slice(0, 160)}`),
)
const since = (run: JobRun, step: Step) => (run.at[step] === undefined ? Number.NaN : run.at[step]! - run.submitted)
const between = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? Number.NaN : to - from)
const rpcIn = (from: number | undefined, to: number | undefined) => (from === undefined || to === undefined ? [] : calls.filter((call) => call.start >= from && call.start < to))
const finite = (list: number[]) => list.filter(Number.isFinite)
const ms = (value: number) => (Number.isFinite(value) ? value.toFixed(0) : '–')

/** Where one job's time went, from client events and the provider's log: [JSON key, label, from, to]. */
const stagesOf = (run: JobRun): Array<[string, string, number | undefined, number | undefined]> => {
  const provider = run.dealId ? marks.get(run.dealId.toLowerCase()) ?? {} : {}
  return [
    ['match', 'bundle + sign bid + match', run.submitted, run.at.negotiating],
    ['negotiate', 'proposal → provider signed (verify, job fetch)', run.at.negotiating, provider.offered],
    ['openDeal', 'provider signed → deal opened (verify, openDeal tx)', provider.offered, run.at['deal-opened']],
    ['providerNotices', 'deal opened → provider runs it (event poll)', run.at['deal-opened'], provider.running],
    ['runAndCommit', 'provider runs it → committed (job, commitResult)', provider.running, provider.committed],
    ['firstLog', '  provider runs it → first log at client', provider.running, run.at.running],
    ['clientSeesCommit', 'committed → client sees it (getDeal poll)', provider.committed, run.at['result-committed']],
    ['download', 'client sees it → result downloaded', run.at['result-committed'], run.at.downloaded],
    ['settle', 'downloaded → settled (settle tx)', run.at.downloaded, run.at.settled],
  ]
}

const sequential = runs.filter((run) => run.phase === 'sequential' && !run.error)
const concurrent = runs.filter((run) => run.phase === 'concurrent' && !run.error)
const failed = runs.filter((run) => run.error)
const toRunning = (list: JobRun[]) => finite(list.map((run) => since(run, 'running')))
const toSettled = (list: JobRun[]) => finite(list.map((run) => since(run, 'settled')))

console.log(`End to end: anvil + market, 3 provider processes, in-process client; job test/fixtures/jobs/sum; setup ${(setupMs / 1000).toFixed(1)} s; load average ${loadavg()[0]!.toFixed(2)}`)
console.log('  times in ms from the submitJob call')
console.log(`  ${'job'.padEnd(12)} ${'provider'.padEnd(8)} ${'negotiate'.padStart(9)} ${'opened'.padStart(7)} ${'running'.padStart(7)} ${'committed'.padStart(9)} ${'downloaded'.padStart(10)} ${'settled'.padStart(7)}  rpc`)
for (const run of [...runs].sort((a, b) => a.index - b.index)) {
  const label = `${run.phase === 'warm-up' ? 'warm-up' : run.phase === 'concurrent' ? `c${run.index}` : `#${run.index}`}`
  if (run.error) {
    console.log(`  ${label.padEnd(12)} failed: ${run.error}`)
    continue
  }
  console.log(
    `  ${label.padEnd(12)} ${(run.provider ?? '?').padEnd(8)} ${ms(since(run, 'negotiating')).padStart(9)} ${ms(since(run, 'deal-opened')).padStart(7)} ${ms(since(run, 'running')).padStart(7)} ${ms(since(run, 'result-committed')).padStart(9)} ${ms(since(run, 'downloaded')).padStart(10)} ${ms(since(run, 'settled')).padStart(7)}  ${rpcIn(run.submitted, run.at.settled).length}${run.declines.length ? `  declined: ${run.declines.join('; ')}` : ''}`,
  )
}

console.log(`\n  sequential stages (${sequential.length} jobs), ms          p50     p90     max   client RPC calls (p50)`)
const stageRows = stagesOf(sequential[0] ?? runs[0]!).map(([key, label], index) => {
  const spans = sequential.map((run) => stagesOf(run)[index]!)
  const values = finite(spans.map(([, , from, to]) => between(from, to)))
  const rpc = quantile(spans.map(([, , from, to]) => rpcIn(from, to).length), 0.5)
  return { key, label, p50: quantile(values, 0.5), p90: quantile(values, 0.9), max: Math.max(...values), rpc }
})
for (const { label, p50, p90, max, rpc } of stageRows) console.log(`  ${label.padEnd(52)} ${ms(p50).padStart(6)}  ${ms(p90).padStart(6)}  ${ms(max).padStart(6)}   ${rpc}`)
const beforeCommit = sequential.filter((run) => run.at.log !== undefined && run.at.log <= (run.at['result-committed'] ?? Number.POSITIVE_INFINITY)).length
console.log(`  the first log line reached the client before it saw the commit in ${beforeCommit} of ${sequential.length} jobs (otherwise 'running' fires when the commit is seen)`)
const methods = new Map<string, { count: number; ms: number }>()
for (const call of calls.filter((call) => sequential.some((run) => call.start >= run.submitted && call.start <= (run.at.settled ?? 0)))) {
  const entry = methods.get(call.method) ?? { count: 0, ms: 0 }
  entry.count += 1
  entry.ms += call.end - call.start
  methods.set(call.method, entry)
}
console.log(
  `  client JSON-RPC per sequential job: ${[...methods].sort((a, b) => b[1].count - a[1].count).map(([method, { count, ms }]) => `${method} ×${(count / Math.max(1, sequential.length)).toFixed(1)} (${(ms / count).toFixed(1)} ms)`).join(', ')}`,
)

const summary = (list: JobRun[]) => ({
  runningP50: quantile(toRunning(list), 0.5),
  runningP99: quantile(toRunning(list), 0.99),
  settledP50: quantile(toSettled(list), 0.5),
  settledP99: quantile(toSettled(list), 0.99),
})
const seq = summary(sequential)
const con = summary(concurrent)
console.log(`\n  ${''.padEnd(34)} ${'running p50'.padStart(11)} ${'p99'.padStart(6)} ${'settled p50'.padStart(11)} ${'p99'.padStart(6)}  jobs/s`)
console.log(`  ${`sequential (${sequential.length} jobs)`.padEnd(34)} ${ms(seq.runningP50).padStart(11)} ${ms(seq.runningP99).padStart(6)} ${ms(seq.settledP50).padStart(11)} ${ms(seq.settledP99).padStart(6)}  ${(sequential.length / (sequentialWallMs / 1000)).toFixed(2)}`)
if (concurrentJobs > 0)
  console.log(`  ${`concurrent, ${inFlight} in flight (${concurrent.length} jobs)`.padEnd(34)} ${ms(con.runningP50).padStart(11)} ${ms(con.runningP99).padStart(6)} ${ms(con.settledP50).padStart(11)} ${ms(con.settledP99).padStart(6)}  ${(concurrent.length / (concurrentWallMs / 1000)).toFixed(2)}`)
if (concurrentJobs > 0) console.log(`  concurrent phase: the client account ${plainNonces ? 'without' : 'with'} viem's nonce manager${plainNonces ? '' : ' (--plain-nonces: without)'}`)
console.log(`  streams open on the client's connections 0.5 s after the last job: ${Object.entries(openStreams).map(([protocol, count]) => `${protocol} ×${count}`).join(', ') || 'none'}`)
if (providerErrors.length) console.log(`  provider errors (${providerErrors.length}):\n    ${providerErrors.slice(0, 6).join('\n    ')}`)
if (failed.length) console.log(`  failed jobs: ${failed.length} (${[...new Set(failed.map((run) => run.error))].join('; ')})`)
const round = (value: number) => (Number.isFinite(value) ? Math.round(value) : null)
const stageP50 = Object.fromEntries(stageRows.map(({ key, p50 }) => [key, round(p50)]))
console.log(
  JSON.stringify({
    jobs: sequential.length,
    submitToRunningP50Ms: round(seq.runningP50),
    submitToRunningP99Ms: round(seq.runningP99),
    submitToSettledP50Ms: round(seq.settledP50),
    submitToSettledP99Ms: round(seq.settledP99),
    concurrentJobs: concurrent.length,
    inFlight: concurrentJobs > 0 ? inFlight : 0,
    concurrentSubmitToRunningP50Ms: round(con.runningP50),
    concurrentSubmitToRunningP99Ms: round(con.runningP99),
    concurrentSubmitToSettledP50Ms: round(con.settledP50),
    concurrentSubmitToSettledP99Ms: round(con.settledP99),
    concurrentJobsPerSec: concurrentWallMs ? Number((concurrent.length / (concurrentWallMs / 1000)).toFixed(2)) : null,
    failed: failed.length,
    providerErrors: providerErrors.length,
    openStreamsAtEnd: Object.values(openStreams).reduce((total, count) => total + count, 0),
    stageP50Ms: stageP50,
  }),
)
// A benchmark, not a test: failed jobs are reported above; only a run with nothing to measure fails.
process.exitCode = sequential.length ? 0 : 1
