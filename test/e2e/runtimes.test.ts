import { execFile } from 'node:child_process'
import { chmod, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnits } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { getDeal } from '../../node/chain/actions/readMarket.ts'
import { devPrivateKeys, type ChainClients } from '../../node/chain/clients.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../node/chain/devMarket.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'
import { runCli } from '../helpers/cli.ts'
import { type DockerEngine, startDockerd } from '../helpers/dockerd.ts'
import { installFakeNvidiaSmi } from '../helpers/fake-nvidia-smi.ts'

// A provider sells the runtimes it names on `provider start --runtimes`, each
// checked at start; a client's `job submit` reaches them. Separate processes,
// real anvil, libp2p over TCP, real bubblewrap, a Docker Engine of the test's own.
const test = suite('runtimes through provider start and job submit')

let market: DevMarket
let root: string
let env: Record<string, string>
let bootstrap: string
let engine: DockerEngine
let dockerJob: string
const execFileAsync = promisify(execFile)
const docker = async (args: string[]) => (await execFileAsync('docker', args, { env: { ...process.env, DOCKER_HOST: engine.host } })).stdout
const processes: AllotProcess[] = []
const examples = join(import.meta.dirname, '..', '..', 'examples')
const clientKey = devPrivateKeys[4]

const providerArgs = (name: string, runtimes: string) => ['provider', 'start', '--home', join(root, name), '--listen', '/ip4/127.0.0.1/tcp/0', '--cpu', '2000', '--memory', '2048', '--disk', '1024', '--runtimes', runtimes]
const startProvider = (name: string, runtimes: string, extra: Record<string, string> = {}) => {
  const process = spawnAllot(providerArgs(name, runtimes), { ...env, ALLOT_PRIVATE_KEY: devPrivateKeys[1], ...extra })
  processes.push(process)
  return process
}
const client = (argv: string[]) => runCli([...argv, '--json'], { env: { ...env, ALLOT_HOME: join(root, 'client'), ALLOT_PRIVATE_KEY: clientKey, ALLOT_BOOTSTRAP: bootstrap } })

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-runtimes-'))
  market = await startDevMarket()
  const deploymentPath = join(root, 'deployment.json')
  await writeDeployment(deploymentPath, market.deployment)
  env = { ALLOT_RPC: market.anvil.rpcUrl, ALLOT_DEPLOYMENT: deploymentPath }
  const providerClients = market.accounts[1] as ChainClients
  await ensureAllowance(providerClients, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(providerClients, { deployment: market.deployment, amount: parseUnits('100', 18) })
  const gpuClients = market.accounts[2] as ChainClients
  await ensureAllowance(gpuClients, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(gpuClients, { deployment: market.deployment, amount: parseUnits('100', 18) })
  engine = await startDockerd()
  dockerJob = join(root, 'docker-wordcount')
  await cp(join(examples, 'docker-wordcount'), dockerJob, { recursive: true })
  await execFileAsync(join(dockerJob, 'build.sh'), [dockerJob], { env: { ...process.env, DOCKER_HOST: engine.host } })
})

test.after(async () => {
  await engine?.stop()
  await Promise.all(processes.map((process) => process.stop()))
  await market?.stop()
  await rm(root, { recursive: true, force: true })
})

test('a provider without a Docker Engine refuses --runtimes docker, naming the engine and how to fix it', async () => {
  const refused = startProvider('no-docker', 'wasm,docker', { DOCKER_HOST: `unix://${join(root, 'no-engine.sock')}` })
  const printed = await refused.ready
  assert.is(printed.ok, false)
  assert.is(printed.error.name, 'DockerUnavailableError')
  assert.match(printed.error.message, /no-engine\.sock/)
  assert.match(printed.error.hint, /leave docker out of --runtimes/)
  await refused.stop()
  assert.is(refused.child.exitCode, 1)
})

test('a provider whose bubblewrap cannot make a sandbox refuses --runtimes process unless --allow-unsandboxed', async () => {
  // A bubblewrap that is installed but cannot work, as in a container without user namespaces.
  const bin = join(root, 'broken-bwrap')
  await mkdir(bin, { recursive: true })
  await writeFile(join(bin, 'bwrap'), '#!/bin/sh\necho "bwrap: No permissions to creating new namespace" >&2\nexit 1\n')
  await chmod(join(bin, 'bwrap'), 0o755)
  const refused = startProvider('broken-sandbox', 'wasm,process', { PATH: `${bin}:${process.env.PATH}` })
  const printed = await refused.ready
  assert.is(printed.ok, false)
  assert.is(printed.error.name, 'SandboxUnavailableError')
  assert.match(printed.error.message, /No permissions to creating new namespace/)
  assert.match(printed.error.hint, /--allow-unsandboxed/)
  await refused.stop()
})

test('provider start --runtimes wasm,process,docker advertises all three and runs examples/process-wordcount from job submit to settled', async () => {
  const provider = startProvider('provider', 'wasm,process,docker', { DOCKER_HOST: engine.host })
  const info = await provider.ready
  assert.equal(info.runtimes, ['docker', 'process', 'wasm'])
  bootstrap = info.addresses[0]
  const asks = await client(['market', 'asks'])
  assert.is(asks.code, 0, asks.stderr + asks.stdout)
  const ours = asks.json().find((ask: { provider: string }) => ask.provider.toLowerCase() === info.address.toLowerCase())
  assert.ok(ours, asks.stdout)
  assert.equal([...ours.runtimes].sort(), ['docker', 'process', 'wasm'])

  const result = await client(['job', 'submit', join(examples, 'process-wordcount'), '--max-price', '0.5'])
  assert.is(result.code, 0, result.stderr + result.stdout)
  const printed = result.json()
  assert.is(printed.state, 'settled')
  assert.is(printed.exitCode, 0)
  assert.is(await readFile(join(printed.resultDir, 'output', 'count.txt'), 'utf8'), '33 words\n')
  assert.match(await readFile(join(printed.resultDir, 'output', 'top.txt'), 'utf8'), /^\s+\d+ \w+\n/)
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: printed.dealId })).statusName, 'Settled')
})

test('examples/docker-wordcount, its image carried in the job, goes from job submit to settled on the same provider', async () => {
  const result = await client(['job', 'submit', dockerJob, '--max-price', '0.5'])
  assert.is(result.code, 0, result.stderr + result.stdout)
  const printed = result.json()
  assert.is(printed.state, 'settled')
  assert.is(printed.exitCode, 0)
  assert.is(await readFile(join(printed.resultDir, 'output', 'count.txt'), 'utf8'), '33 words\n')
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: printed.dealId })).statusName, 'Settled')
  assert.is((await docker(['ps', '-aq', '--filter', 'label=allot.owner'])).trim(), '')
})

test('a Docker job whose image archive is not the image its manifest names is declined before any deal', async () => {
  const wrong = join(root, 'wrong-image')
  await cp(dockerJob, wrong, { recursive: true })
  const manifestPath = join(wrong, 'allot.job.json')
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  await writeFile(manifestPath, JSON.stringify({ ...manifest, entry: `sha256:${'ab'.repeat(32)}` }))
  const before = await market.accounts[0]!.public.getBlockNumber()
  const result = await client(['job', 'submit', wrong, '--max-price', '0.5', '--timeout', '5'])
  assert.is(result.code, 1, result.stdout)
  assert.match(result.stderr, /declined .*: image-mismatch \(The job's image archive holds sha256:[0-9a-f]{64}, not the sha256:(ab){32}/, result.stdout + result.stderr)
  const opened = await market.accounts[0]!.public.getContractEvents({ address: market.deployment.market, abi: allotMarketAbi, eventName: 'DealOpened', fromBlock: before })
  assert.is(opened.length, 0)
})

test('a Docker job that hits its process limit is stopped and named ProcessLimitExceeded to its client, and the deal still settles', async () => {
  const forks = join(root, 'docker-forks')
  await cp(dockerJob, forks, { recursive: true })
  const manifestPath = join(forks, 'allot.job.json')
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  // An inner shell starts sleeps until a fork is refused (the shell then exits, its sleeps stay); the outer
  // one loops on builtins, which need no fork: the container lives on, and only the limit stops it.
  const args = ['/bin/sh', '-c', 'sh -c "while :; do sleep 5 & done" 2>/dev/null; while :; do :; done']
  await writeFile(manifestPath, JSON.stringify({ ...manifest, args, limits: { ...manifest.limits, processes: 8 } }))
  const result = await client(['job', 'submit', forks, '--max-price', '0.5'])
  assert.is(result.code, 1, result.stdout + result.stderr)
  const error = JSON.parse(result.stdout).error
  assert.is(error.name, 'JobFailedError', result.stdout)
  // Killed at the limit (137), not left to the wall clock.
  const dealId = /deal (0x[0-9a-f]+) exited with code 137/.exec(error.message)?.[1]
  assert.ok(dealId, error.message)
  assert.match(error.message, /the provider stopped it: ProcessLimitExceeded, reached limits\.processes \(8/)
  const logs = await client(['job', 'logs', dealId!])
  assert.is(logs.code, 0, logs.stderr)
  assert.match(logs.json().stderr, /\[allot\] ProcessLimitExceeded: reached limits\.processes \(8/)
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: dealId as `0x${string}` })).statusName, 'Settled')
  assert.is((await docker(['ps', '-aq', '--filter', 'label=allot.owner'])).trim(), '')
})

test('a Docker job that passes its memory limit is killed and named MemoryLimitExceeded to its client, and the deal still settles', async () => {
  const hog = join(root, 'docker-memory')
  await cp(dockerJob, hog, { recursive: true })
  const manifestPath = join(hog, 'allot.job.json')
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  // The shell holds ~200 MB in a variable under a limit of 32 MiB: the kernel kills it, and the runtime reads the kill from the cgroup.
  const args = ['/bin/sh', '-c', 'x=$(head -c 200000000 /dev/zero | tr "\\0" a); echo ${#x}']
  await writeFile(manifestPath, JSON.stringify({ ...manifest, args, limits: { ...manifest.limits, memoryMiB: 32 } }))
  const result = await client(['job', 'submit', hog, '--max-price', '0.5'])
  assert.is(result.code, 1, result.stdout + result.stderr)
  const error = JSON.parse(result.stdout).error
  assert.is(error.name, 'JobFailedError', result.stdout)
  const dealId = /deal (0x[0-9a-f]+) exited with code 137/.exec(error.message)?.[1]
  assert.ok(dealId, error.message)
  assert.match(error.message, /the provider stopped it: MemoryLimitExceeded, exceeded limits\.memoryMiB \(32 MiB\)/)
  const logs = await client(['job', 'logs', dealId!])
  assert.is(logs.code, 0, logs.stderr)
  assert.match(logs.json().stderr, /\[allot\] MemoryLimitExceeded: exceeded limits\.memoryMiB \(32 MiB\)/)
  assert.is((await getDeal(market.accounts[0]!, { deployment: market.deployment, dealId: dealId as `0x${string}` })).statusName, 'Settled')
  assert.is((await docker(['ps', '-aq', '--filter', 'label=allot.owner'])).trim(), '')
})

test('a provider selling a GPU (recorded nvidia-smi, stand-in device nodes) gives a GPU job exactly one device, by UUID', async () => {
  const fake = await installFakeNvidiaSmi()
  const devices = join(root, 'gpu-dev')
  await mkdir(devices)
  // Jobs run as users of their own, who pass through to the nodes as they would to /dev.
  await chmod(root, 0o711)
  for (const name of ['nvidia0', 'nvidiactl', 'nvidia-uvm']) await writeFile(join(devices, name), '')
  try {
    const gpuProvider = spawnAllot([...providerArgs('gpu', 'process'), '--gpu-device-root', devices], { ...env, ...fake.env('h100'), ALLOT_PRIVATE_KEY: devPrivateKeys[2], ALLOT_BOOTSTRAP: bootstrap })
    processes.push(gpuProvider)
    const info = await gpuProvider.ready
    assert.is(info.capacity.gpus.length, 1, JSON.stringify(info))
    const result = await client(['job', 'submit', join(import.meta.dirname, '..', 'fixtures', 'jobs', 'gpu-devices'), '--max-price', '5'])
    assert.is(result.code, 0, result.stderr + result.stdout)
    const printed = result.json()
    assert.is(printed.state, 'settled')
    assert.is(printed.exitCode, 0, await readFile(join(printed.resultDir, 'stderr'), 'utf8').catch(() => JSON.stringify(printed)))
    assert.is(await readFile(join(printed.resultDir, 'output', 'devices.txt'), 'utf8'), 'nvidia-uvm nvidia0 nvidiactl ')
    assert.is(await readFile(join(printed.resultDir, 'output', 'cuda.txt'), 'utf8'), `${info.capacity.gpus[0].uuid}\n`)
  } finally {
    await fake.remove()
  }
})

test('a provider killed with SIGKILL mid-container removes the orphaned container when restarted, before it serves', async () => {
  // The same image, asked to outlast the provider.
  const sleeper = join(root, 'docker-sleeper')
  await cp(dockerJob, sleeper, { recursive: true })
  const manifestPath = join(sleeper, 'allot.job.json')
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8'))
  await writeFile(manifestPath, JSON.stringify({ ...manifest, args: ['/bin/sh', '-c', 'sleep 120'], limits: { ...manifest.limits, wallSeconds: 150 } }))
  const submitted = await client(['job', 'submit', sleeper, '--max-price', '2', '--no-wait'])
  assert.is(submitted.code, 0, submitted.stderr + submitted.stdout)
  const running = async () => (await docker(['ps', '-aq', '--filter', 'label=allot.owner'])).trim()
  const deadline = Date.now() + 60_000
  while (!(await running()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 200))
  const orphan = await running()
  assert.ok(orphan, 'the container started')
  const provider = processes.find((process) => process.child.spawnargs.includes(join(root, 'provider')))!
  provider.child.kill('SIGKILL')
  await new Promise((resolve) => provider.child.once('exit', resolve))
  assert.is(await running(), orphan, 'the container outlived its provider')
  const restarted = startProvider('provider', 'wasm,process,docker', { DOCKER_HOST: engine.host })
  await restarted.ready
  const left = await running()
  // The restarted provider may already be rerunning the deal's job: never in the orphan's container.
  assert.not.ok(left.split('\n').includes(orphan), `the orphan ${orphan} is still there`)
  await restarted.stop()
  assert.is(await running(), '')
})

test.run()
