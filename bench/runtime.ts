// npm run bench:runtime — the same WASI module (examples/checksum, SHA-256 of a
// 64 MiB input) run through the wasm runtime and directly under node:wasi in
// this process, several times each, alternating; then the cold start: the time
// from `run()` to the result for a trivial job on a just-started runtime.
// Each run of ours is handed an unpacked bundle folder it may take
// (`takeBundle`), as a provider does after unpacking a bundle for a run.
// Then a native command (sha256sum of the same input) through our process
// runtime vs the same command under bare bubblewrap, and the same command in a
// container through our Docker runtime vs bare `docker run` on the same image,
// on a Docker Engine this bench starts on a private socket (examples/docker-wordcount's
// image, built with no registry); and the Docker cold start for a trivial job.
// Prints a table, and as its last line
// {"overheadRatio","coldStartMs","processOverheadRatio","dockerOverheadRatio","dockerColdStartMs",…}.
import { execFile, execFileSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { copyFile, cp, link, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { WASI } from 'node:wasi'
import { parseJobManifest } from '../protocol/job/index.ts'
import { createDockerRuntime, createProcessRuntime, createWasmRuntime, type RunnableJob, type Runtime } from '../node/runtime/index.ts'
import { startDockerEngine } from '../node/runtime/docker/startDockerEngine.ts'
import { probeSystemPaths } from '../node/runtime/process/probeSystemPaths.ts'

const INPUT_MIB = Number(process.env.BENCH_INPUT_MIB ?? 64)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const COLD_STARTS = 5
const example = new URL('../examples/checksum/', import.meta.url).pathname
const WebAssemblyApi = (globalThis as unknown as { WebAssembly: { compile: (bytes: Uint8Array) => Promise<object>; instantiate: (module: object, imports: object) => Promise<object> } }).WebAssembly

const root = await mkdtemp(join(tmpdir(), 'allot-bench-runtime-'))
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

async function bundle(name: string, inputBytes: number): Promise<RunnableJob> {
  const dir = join(root, name)
  await mkdir(dir)
  await copyFile(join(example, 'checksum.wasm'), join(dir, 'checksum.wasm'))
  // Deterministic bytes, so runs are comparable.
  const input = Buffer.alloc(inputBytes)
  for (let i = 0; i < inputBytes; i += 4) input.writeUInt32LE((Math.imul(i, 2654435761) ^ (i >>> 7)) >>> 0, i)
  await writeFile(join(dir, 'input.bin'), input)
  const manifest = {
    version: 1,
    runtime: 'wasm',
    entry: 'checksum.wasm',
    args: ['input.bin'],
    inputs: ['input.bin'],
    limits: { wallSeconds: 120, cpuSeconds: 120, memoryMiB: 64, outputMiB: 1 },
    resources: { cpuMillicores: 1000, memoryMiB: 64, diskMiB: INPUT_MIB + 16 },
  }
  await writeFile(join(dir, 'allot.job.json'), JSON.stringify(manifest))
  return { id: name, manifest: parseJobManifest(manifest), bundleDir: dir }
}

// The baseline: what a bare node:wasi host does for one run, in this process.
async function direct(job: RunnableJob): Promise<{ ms: number; stdout: string }> {
  const start = performance.now()
  const work = join(root, `direct-${Math.random().toString(36).slice(2)}`)
  await mkdir(join(work, 'output'), { recursive: true })
  const out = join(root, `direct-${Math.random().toString(36).slice(2)}.out`)
  const fd = openSync(out, 'w')
  try {
    const wasi = new WASI({ version: 'preview1', args: ['checksum.wasm', 'input.bin'], env: {}, preopens: { '/': work }, stdout: fd, returnOnExit: true })
    await link(join(job.bundleDir, 'input.bin'), join(work, 'input.bin'))
    const module = await WebAssemblyApi.compile(await readFile(join(job.bundleDir, 'checksum.wasm')))
    const instance = await WebAssemblyApi.instantiate(module, wasi.getImportObject())
    wasi.start(instance)
  } finally {
    closeSync(fd)
  }
  const ms = performance.now() - start
  return { ms, stdout: await readFile(out, 'utf8') }
}

const heavy = await bundle('heavy', INPUT_MIB * 2 ** 20)
const trivial = await bundle('trivial', 16)

// A fresh unpacked copy of a bundle for one run (hard links: made outside the timed part at no cost).
let copies = 0
async function unpacked(job: RunnableJob): Promise<RunnableJob> {
  const dir = join(root, `unpacked-${copies++}`)
  await mkdir(dir)
  for (const name of await readdir(job.bundleDir)) await link(join(job.bundleDir, name), join(dir, name))
  return { ...job, bundleDir: dir, takeBundle: true }
}

const runtime = createWasmRuntime({ workRoot: join(root, 'work') })
await runtime.start()
const ours: number[] = []
const bare: number[] = []
const answers = new Set<string>()
for (let round = 0; round < ROUNDS; round++) {
  const job = await unpacked(heavy)
  const t = performance.now()
  const result = await runtime.run(job)
  ours.push(performance.now() - t)
  if (result.exitCode !== 0) throw new Error(`the runtime run failed: ${JSON.stringify(result.failure)}`)
  answers.add(Buffer.from(result.stdout).toString())
  const baseline = await direct(heavy)
  bare.push(baseline.ms)
  answers.add(baseline.stdout)
}
await runtime.stop()
if (answers.size !== 1) throw new Error(`runs disagree: ${[...answers].join(' | ')}`)

// Cold start: a runtime just started (its spare process waiting), first job; and with no spare.
async function coldStart(spares: number): Promise<number> {
  const samples: number[] = []
  for (let i = 0; i < COLD_STARTS; i++) {
    const fresh = createWasmRuntime({ workRoot: join(root, `cold-${spares}-${i}`), spares })
    await fresh.start()
    const job = await unpacked(trivial)
    const t = performance.now()
    const result = await fresh.run(job)
    samples.push(performance.now() - t)
    await fresh.stop()
    if (result.exitCode !== 0) throw new Error('the trivial job failed')
  }
  return median(samples)
}
const coldStartMs = await coldStart(1)
const spawnColdStartMs = await coldStart(0)
const directTrivialMs = median(await Promise.all([0, 1, 2].map(() => direct(trivial).then((r) => r.ms))))

// Native and container runs of one command over the heavy input; ours and the bare tool alternate.
const run = (command: string, args: string[], env: NodeJS.ProcessEnv = process.env) =>
  new Promise<string>((resolve, reject) => execFile(command, args, { env, maxBuffer: 1 << 20 }, (error, stdout, stderr) => (error ? reject(new Error(`${command}: ${stderr || error.message}`)) : resolve(stdout))))
const hashLine = (text: string) => text.trim().split(/\s+/)[0]
async function compare(ourRuntime: Runtime, job: RunnableJob, baseline: () => Promise<string>) {
  const oursMs: number[] = []
  const bareMs: number[] = []
  const seen = new Set<string>()
  for (let round = 0; round < ROUNDS; round++) {
    const fresh = await unpacked(job)
    let t = performance.now()
    const result = await ourRuntime.run(fresh)
    oursMs.push(performance.now() - t)
    if (result.exitCode !== 0) throw new Error(`${ourRuntime.kind} run failed: ${JSON.stringify(result.failure)} ${Buffer.from(result.stderr).toString()}`)
    seen.add(hashLine(Buffer.from(result.stdout).toString())!)
    t = performance.now()
    seen.add(hashLine(await baseline())!)
    bareMs.push(performance.now() - t)
  }
  if (seen.size !== 1) throw new Error(`${ourRuntime.kind}: runs disagree: ${[...seen].join(' | ')}`)
  return { ours: median(oursMs), bare: median(bareMs) }
}
const nativeManifest = (entry: string, args: string[], runtime: 'process' | 'docker', image?: string) => ({
  version: 1,
  runtime,
  entry,
  args,
  inputs: ['input.bin'],
  ...(image ? { image } : {}),
  limits: { wallSeconds: 120, cpuSeconds: 120, memoryMiB: 256, outputMiB: 1, processes: 16 },
  resources: { cpuMillicores: 1000, memoryMiB: 256, diskMiB: INPUT_MIB + 16 },
})
const withManifest = async (job: RunnableJob, manifest: object, name: string): Promise<RunnableJob> => {
  const dir = join(root, name)
  await mkdir(dir)
  await link(join(job.bundleDir, 'input.bin'), join(dir, 'input.bin'))
  await writeFile(join(dir, 'allot.job.json'), JSON.stringify(manifest))
  return { id: name, manifest: parseJobManifest(manifest), bundleDir: dir }
}

const processRuntime = createProcessRuntime({ workRoot: join(root, 'process-work') })
await processRuntime.start()
const sha256sum = '/usr/bin/sha256sum'
const processJob = await withManifest(heavy, nativeManifest(sha256sum, ['input.bin'], 'process'), 'process-heavy')
const system = (await probeSystemPaths()).flatMap(({ path, symlink }) => (symlink !== undefined ? ['--symlink', symlink, path] : ['--ro-bind', path, path]))
const native = await compare(processRuntime, processJob, () =>
  run('bwrap', ['--unshare-all', '--die-with-parent', ...system, '--proc', '/proc', '--dev', '/dev', '--ro-bind', processJob.bundleDir, '/job', '--chdir', '/job', '--', sha256sum, 'input.bin']),
)
await processRuntime.stop()

const engine = await startDockerEngine()
let docker: { ours: number; bare: number }
let dockerColdStartMs: number
let bareDockerTrivialMs: number
try {
  const env = { ...process.env, DOCKER_HOST: engine.host }
  const imageDir = join(root, 'image')
  await cp(new URL('../examples/docker-wordcount/', import.meta.url).pathname, imageDir, { recursive: true })
  const image = execFileSync(join(imageDir, 'build.sh'), [imageDir], { env }).toString().trim()
  const dockerRuntime = createDockerRuntime({ workRoot: join(root, 'docker-work'), host: engine.host })
  await dockerRuntime.start()
  const dockerJob = await withManifest(heavy, nativeManifest(image, ['/bin/busybox', 'sha256sum', 'input.bin'], 'docker'), 'docker-heavy')
  docker = await compare(dockerRuntime, dockerJob, () =>
    run('docker', ['run', '--rm', '--network', 'none', '-v', `${dockerJob.bundleDir}:/job:ro`, '-w', '/job', image, '/bin/busybox', 'sha256sum', 'input.bin'], env),
  )
  const trivialJob = await withManifest(trivial, nativeManifest(image, ['/bin/busybox', 'true'], 'docker'), 'docker-trivial')
  const cold: number[] = []
  const bareCold: number[] = []
  for (let i = 0; i < COLD_STARTS; i++) {
    const job = await unpacked(trivialJob)
    const t = performance.now()
    const result = await dockerRuntime.run(job)
    cold.push(performance.now() - t)
    if (result.exitCode !== 0) throw new Error('the trivial container failed')
    const u = performance.now()
    await run('docker', ['run', '--rm', '--network', 'none', image, '/bin/busybox', 'true'], env)
    bareCold.push(performance.now() - u)
  }
  dockerColdStartMs = median(cold)
  bareDockerTrivialMs = median(bareCold)
  await dockerRuntime.stop()
} finally {
  await engine.stop()
}
await rm(root, { recursive: true, force: true })
const processOverheadRatio = native.ours / native.bare
const dockerOverheadRatio = docker.ours / docker.bare

const overheadRatio = median(ours) / median(bare)
const fmt = (ms: number) => `${ms.toFixed(1)} ms`
console.log(`wasm runtime vs node:wasi — examples/checksum over ${INPUT_MIB} MiB, ${ROUNDS} rounds each (median)`)
console.log(`machine: ${cpus().length} cores, load average ${loadavg()[0]!.toFixed(1)} at the end\n`)
console.log(`${'measure'.padEnd(44)}${'value'.padStart(14)}${'target'.padStart(12)}`)
console.log(`${'node:wasi in-process'.padEnd(44)}${fmt(median(bare)).padStart(14)}`)
console.log(`${'our runtime (child process, limits)'.padEnd(44)}${fmt(median(ours)).padStart(14)}`)
console.log(`${'overhead ratio'.padEnd(44)}${`${overheadRatio.toFixed(3)}×`.padStart(14)}${'≤ 1.10×'.padStart(12)}`)
console.log(`${'cold start, trivial job (spare ready)'.padEnd(44)}${fmt(coldStartMs).padStart(14)}${'≤ 50 ms'.padStart(12)}`)
console.log(`${'cold start, trivial job (no spare)'.padEnd(44)}${fmt(spawnColdStartMs).padStart(14)}`)
console.log(`${'node:wasi in-process, trivial job'.padEnd(44)}${fmt(directTrivialMs).padStart(14)}`)
console.log(`${'sha256sum under bare bwrap'.padEnd(44)}${fmt(native.bare).padStart(14)}`)
console.log(`${'sha256sum, our process runtime'.padEnd(44)}${fmt(native.ours).padStart(14)}`)
console.log(`${'process overhead ratio'.padEnd(44)}${`${processOverheadRatio.toFixed(3)}×`.padStart(14)}${'≤ 1.10×'.padStart(12)}`)
console.log(`${'sha256sum, bare docker run'.padEnd(44)}${fmt(docker.bare).padStart(14)}`)
console.log(`${'sha256sum, our docker runtime'.padEnd(44)}${fmt(docker.ours).padStart(14)}`)
console.log(`${'docker overhead ratio'.padEnd(44)}${`${dockerOverheadRatio.toFixed(3)}×`.padStart(14)}${'≤ 1.10×'.padStart(12)}`)
console.log(`${'docker cold start, trivial job (ours)'.padEnd(44)}${fmt(dockerColdStartMs).padStart(14)}`)
console.log(`${'docker run --rm, trivial job (bare)'.padEnd(44)}${fmt(bareDockerTrivialMs).padStart(14)}`)
console.log('')
console.log(
  JSON.stringify({
    overheadRatio: Number(overheadRatio.toFixed(4)),
    coldStartMs: Number(coldStartMs.toFixed(2)),
    processOverheadRatio: Number(processOverheadRatio.toFixed(4)),
    dockerOverheadRatio: Number(dockerOverheadRatio.toFixed(4)),
    dockerColdStartMs: Number(dockerColdStartMs.toFixed(2)),
    bareDockerTrivialMs: Number(bareDockerTrivialMs.toFixed(2)),
    spawnColdStartMs: Number(spawnColdStartMs.toFixed(2)),
    ourMs: Number(median(ours).toFixed(2)),
    directMs: Number(median(bare).toFixed(2)),
  }),
)
