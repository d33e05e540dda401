import { createHash } from 'node:crypto'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { JobFailureName, createWasmRuntime, resultBundle, type Runtime, type RunResult } from '../../node/runtime/index.ts'
import { fixtureModule, makeJob, repoRoot, text } from './jobFixtures.ts'

const test = suite('wasm runtime')

let root: string
let runtime: Runtime
let hostile: Buffer
const SECRET = 'PROVIDER-PRIVATE-KEY-0123456789'

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-wasm-'))
  // The provider's key, beside the folders jobs run in.
  await writeFile(join(root, 'provider.key'), SECRET)
  process.env.ALLOT_TEST_SECRET = SECRET
  hostile = await fixtureModule('hostile')
  runtime = createWasmRuntime({ workRoot: join(root, 'work'), pollMs: 50 })
  await runtime.start()
})

test.after(async () => {
  delete process.env.ALLOT_TEST_SECRET
  await runtime.stop()
  await rm(root, { recursive: true, force: true })
})

const hostileJob = (args: string[], limits: Record<string, number> = {}, id = args[0]) =>
  makeJob(root, { runtime: 'wasm', entry: 'hostile.wasm', args, limits }, { 'hostile.wasm': hostile }, id)

// After each hostile job, an ordinary one must still run normally.
async function assertStillServing() {
  const result = await runtime.run(await hostileJob(['exit', '7'], {}, 'ordinary'))
  assert.is(result.exitCode, 7)
  assert.is(result.failure, undefined)
}

function assertFailure(result: RunResult, name: string) {
  assert.is(result.failure?.name, name, `expected ${name}, got ${JSON.stringify(result.failure)} (exit ${result.exitCode})`)
}

test('the checksum example gives its known answer, the same result hash every run', async () => {
  const dir = join(repoRoot, 'examples/checksum')
  const manifest = JSON.parse(await readFile(join(dir, 'allot.job.json'), 'utf8'))
  const job = await makeJob(root, manifest, { 'checksum.wasm': await readFile(join(dir, 'checksum.wasm')), 'input.txt': await readFile(join(dir, 'input.txt')) })
  const expected = createHash('sha256').update(await readFile(join(dir, 'input.txt'))).digest('hex')
  const first = await runtime.run(job)
  assert.is(first.exitCode, 0)
  assert.is(first.failure, undefined)
  assert.is(text(first.stdout), `${expected}  input.txt\n`)
  assert.is(await readFile(join(first.outputDir, 'sha256.txt'), 'utf8'), `${expected}  input.txt\n`)
  const second = await runtime.run(job)
  const [a, b] = await Promise.all([resultBundle(first), resultBundle(second)])
  assert.is(a.hash, b.hash)
  assert.equal(a.bundle.files.map((file) => file.path), ['sha256.txt'])
})

test('the module sees its args and the manifest env, nothing of the provider', async () => {
  const job = await makeJob(root, { runtime: 'wasm', entry: 'hostile.wasm', args: ['env', 'two words'], env: { GREETING: 'hi' } }, { 'hostile.wasm': hostile })
  const result = await runtime.run(job)
  assert.is(result.exitCode, 0)
  assert.is(text(result.stdout), 'arg hostile.wasm\narg env\narg two words\nenv GREETING=hi\n')
  assert.not.match(text(result.stdout), SECRET)
})

test('hostile: reading the provider key beside its folder finds nothing', async () => {
  const result = await runtime.run(await hostileJob(['read-outside', join(root, 'provider.key')]))
  assert.is(result.exitCode, 1, text(result.stdout))
  assert.not.match(text(result.stdout), SECRET)
  assert.match(text(result.stdout), /\.\.\/provider\.key: denied/)
  assert.match(text(result.stdout), /escape: denied/)
  await assertStillServing()
})

test('hostile: a module that imports a socket call is refused (UnsupportedImport)', async () => {
  const job = await makeJob(root, { runtime: 'wasm', entry: 'socket.wasm' }, { 'socket.wasm': await fixtureModule('socket') })
  const result = await runtime.run(job)
  assertFailure(result, JobFailureName.UnsupportedImport)
  assert.match(result.failure!.message, /sock_open/)
  await assertStillServing()
})

test('hostile: allocating past the memory limit (MemoryLimitExceeded)', async () => {
  const result = await runtime.run(await hostileJob(['alloc'], { memoryMiB: 32 }))
  assertFailure(result, JobFailureName.MemoryLimitExceeded)
  assert.match(text(result.stderr), /malloc failed after 3\d MiB/)
  assert.ok(result.usage.memoryBytes! <= 32 * 2 ** 20)
  await assertStillServing()
})

test('hostile: a module whose initial memory exceeds the limit never starts', async () => {
  // (module (type (func)) (func (export "_start")) (memory (export "memory") 2000))
  const module = new Uint8Array([
    0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 5, 4, 1, 0, 0xd0, 0x0f,
    7, 0x13, 2, 6, ...Buffer.from('_start'), 0, 0, 6, ...Buffer.from('memory'), 2, 0, 0x0a, 4, 1, 2, 0, 0x0b,
  ])
  const result = await runtime.run(await makeJob(root, { runtime: 'wasm', entry: 'big.wasm', limits: { memoryMiB: 64 } }, { 'big.wasm': module }))
  assertFailure(result, JobFailureName.MemoryLimitExceeded)
  assert.match(result.failure!.message, /2000 pages/)
})

test('hostile: looping forever hits the CPU limit (CpuTimeLimitExceeded)', async () => {
  // A generous wall clock: on a loaded machine one CPU-second can take many seconds.
  const result = await runtime.run(await hostileJob(['spin'], { cpuSeconds: 1, wallSeconds: 120 }))
  assertFailure(result, JobFailureName.CpuTimeLimitExceeded)
  await assertStillServing()
})

test('hostile: waiting forever hits the wall-clock limit (WallTimeLimitExceeded)', async () => {
  const result = await runtime.run(await hostileJob(['sleep'], { wallSeconds: 1 }))
  assertFailure(result, JobFailureName.WallTimeLimitExceeded)
  assert.is(result.exitCode, 137)
  assert.ok(result.usage.wallMs < 5000)
  await assertStillServing()
})

test('hostile: flooding stdout is cut at the output cap (OutputLimitExceeded)', async () => {
  const result = await runtime.run(await hostileJob(['flood'], { outputMiB: 1 }))
  assertFailure(result, JobFailureName.OutputLimitExceeded)
  assert.is(result.stdout.length, 2 ** 20)
  await assertStillServing()
})

test('hostile: one file past the output cap (OutputLimitExceeded)', async () => {
  const result = await runtime.run(await hostileJob(['fill'], { outputMiB: 1 }))
  assertFailure(result, JobFailureName.OutputLimitExceeded)
  await assertStillServing()
})

test('hostile: many files, each small, together past the cap (OutputLimitExceeded)', async () => {
  const result = await runtime.run(await hostileJob(['many-files'], { outputMiB: 2 }))
  assertFailure(result, JobFailureName.OutputLimitExceeded)
  await assertStillServing()
})

test('a trap is reported as Trapped', async () => {
  const result = await runtime.run(await hostileJob(['trap']))
  assertFailure(result, JobFailureName.Trapped)
  assert.is(result.exitCode, 134)
})

test('bytes that are not WebAssembly are refused (InvalidEntry)', async () => {
  const result = await runtime.run(await makeJob(root, { runtime: 'wasm', entry: 'bad.wasm' }, { 'bad.wasm': 'not wasm' }))
  assertFailure(result, JobFailureName.InvalidEntry)
})

test('the abort signal stops a job (Aborted)', async () => {
  const controller = new AbortController()
  setTimeout(() => controller.abort(new Error('deal cancelled')), 200)
  const result = await runtime.run(await hostileJob(['sleep']), { signal: controller.signal })
  assertFailure(result, JobFailureName.Aborted)
  assert.match(result.failure!.message, /deal cancelled/)
})

test('live logs arrive while the job runs; other jobs run alongside a hostile one', async () => {
  const logs: { stream: string; data: string }[] = []
  const spinning = runtime.run(await hostileJob(['spin'], { cpuSeconds: 2, wallSeconds: 2 }))
  const result = await runtime.run(await hostileJob(['env', 'x'], {}, 'beside'), { onLog: (log) => logs.push({ stream: log.stream, data: text(log.data) }) })
  assert.is(result.exitCode, 0)
  assert.ok(logs.every((log) => log.stream === 'stdout'))
  assert.is(logs.map((log) => log.data).join(''), 'arg hostile.wasm\narg env\narg x\n')
  assert.ok((await spinning).failure)
})

test('a job given to the wrong runtime is refused with WrongRuntimeError', async () => {
  const job = await makeJob(root, { runtime: 'process', entry: 'run.sh' }, { 'run.sh': 'true' })
  try {
    await runtime.run(job)
    assert.unreachable()
  } catch (error) {
    assert.is((error as Error).name, 'WrongRuntimeError')
  }
})

test.run()
