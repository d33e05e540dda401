import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createProcessRuntime, JobFailureName, type Runtime, type RunResult } from '../../node/runtime/index.ts'
import { findExecutable } from '../../node/runtime/findExecutable.ts'
import { makeJob, repoRoot, text } from './jobFixtures.ts'

const test = suite('process runtime')

const bwrap = await findExecutable('bwrap')
let root: string
let runtime: Runtime
let server: Server
let port: number
let connections = 0
const SECRET = 'PROVIDER-PRIVATE-KEY-0123456789'

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-process-'))
  // Sandbox users (as root) must be able to pass through to their run folders.
  await chmod(root, 0o711)
  await writeFile(join(root, 'provider.key'), SECRET)
  process.env.ALLOT_TEST_SECRET = SECRET
  server = createServer((socket) => {
    connections++
    socket.end()
  }).listen(0, '127.0.0.1')
  await new Promise((resolve) => server.once('listening', resolve))
  port = (server.address() as { port: number }).port
  runtime = createProcessRuntime({ workRoot: join(root, 'work'), sandboxRoot: join(root, 'sandbox'), pollMs: 50 })
  if (bwrap) await runtime.start()
})

test.after(async () => {
  delete process.env.ALLOT_TEST_SECRET
  await runtime.stop()
  server.close()
  await rm(root, { recursive: true, force: true })
})

const script = (body: string, limits: Record<string, number> = {}, id = 'job') =>
  makeJob(root, { runtime: 'process', entry: 'run.sh', limits }, { 'run.sh': `#!/bin/bash\n${body}\n` }, id)

async function assertStillServing() {
  const result = await runtime.run(await script('echo still serving; exit 3', {}, 'ordinary'))
  assert.is(result.exitCode, 3)
  assert.is(text(result.stdout), 'still serving\n')
  assert.is(result.failure, undefined)
}

function assertFailure(result: RunResult, name: string) {
  assert.is(result.failure?.name, name, `expected ${name}, got ${JSON.stringify(result.failure)} (exit ${result.exitCode}, stderr ${text(result.stderr).slice(0, 300)})`)
}

if (!bwrap) {
  test('process runtime tests need bubblewrap', () => {
    console.log('  SKIP: bubblewrap (bwrap) is not installed; install it with `apt-get install bubblewrap` to run the process runtime tests.')
  })
} else {
  test('the word count example gives its known answer', async () => {
    const dir = join(repoRoot, 'examples/process-wordcount')
    const manifest = JSON.parse(await readFile(join(dir, 'allot.job.json'), 'utf8'))
    const job = await makeJob(root, manifest, { 'run.sh': await readFile(join(dir, 'run.sh')), 'input.txt': await readFile(join(dir, 'input.txt')) })
    const result = await runtime.run(job)
    assert.is(result.exitCode, 0, text(result.stderr))
    assert.is(text(result.stdout), '33 words\n')
    assert.equal((await readdir(result.outputDir)).sort(), ['count.txt', 'top.txt'])
    assert.match(await readFile(join(result.outputDir, 'top.txt'), 'utf8'), /^\s+3 not\n/)
  })

  test('the job sees its folder, the manifest env and nothing of the provider', async () => {
    const job = await makeJob(root, { runtime: 'process', entry: 'run.sh', env: { GREETING: 'hi' } }, { 'run.sh': '#!/bin/sh\npwd; env | sort; ls /' })
    const result = await runtime.run(job)
    const out = text(result.stdout)
    assert.is(result.exitCode, 0, text(result.stderr))
    assert.match(out, /^\/job\n/)
    assert.match(out, /GREETING=hi/)
    assert.not.match(out, /ALLOT_TEST_SECRET/)
    assert.not.match(out, /\b(root|home|work)\b/)
  })

  test('hostile: reading the provider key next to its folder finds nothing', async () => {
    const result = await runtime.run(
      await script(`cat ../provider.key /provider.key /tmp/../provider.key ${join(root, 'provider.key')} 2>&1; ls -a / .. ${root} /root 2>&1; exit 1`),
    )
    assert.is(result.exitCode, 1, JSON.stringify(result.failure))
    assert.not.match(text(result.stdout), SECRET)
    assert.not.match(text(result.stdout), /provider\.key\n/)
    assert.match(text(result.stdout), /No such file or directory/)
    await assertStillServing()
  })

  test('hostile: opening a socket is stopped (NetworkDenied) and reaches nothing', async () => {
    const result = await runtime.run(await script(`exec 3<>/dev/tcp/127.0.0.1/${port}; echo connected`))
    assertFailure(result, JobFailureName.NetworkDenied)
    assert.is(connections, 0)
    assert.not.match(text(result.stdout), /connected/)
    await assertStillServing()
  })

  test('hostile: allocating past the memory limit (MemoryLimitExceeded)', async () => {
    const result = await runtime.run(await script('head -c 1G /dev/zero | tail -n 1 > /dev/null', { memoryMiB: 64 }))
    assertFailure(result, JobFailureName.MemoryLimitExceeded)
    await assertStillServing()
  })

  test('hostile: looping forever hits the CPU limit (CpuTimeLimitExceeded)', async () => {
    // A generous wall clock: on a loaded machine one CPU-second can take many seconds.
    const result = await runtime.run(await script('while :; do :; done', { cpuSeconds: 1, wallSeconds: 120 }))
    assertFailure(result, JobFailureName.CpuTimeLimitExceeded)
    await assertStillServing()
  })

  test('hostile: waiting forever hits the wall-clock limit (WallTimeLimitExceeded)', async () => {
    const result = await runtime.run(await script('sleep 600', { wallSeconds: 1 }))
    assertFailure(result, JobFailureName.WallTimeLimitExceeded)
    assert.ok(result.usage.wallMs < 5000)
    await assertStillServing()
  })

  test('hostile: flooding stdout is cut at the output cap (OutputLimitExceeded)', async () => {
    const result = await runtime.run(await script('yes', { outputMiB: 1 }))
    assertFailure(result, JobFailureName.OutputLimitExceeded)
    assert.is(result.stdout.length, 2 ** 20)
    await assertStillServing()
  })

  test('hostile: writing a file past the output cap (OutputLimitExceeded)', async () => {
    const result = await runtime.run(await script('head -c 100M /dev/zero > output/big; echo carried on', { outputMiB: 1 }))
    assertFailure(result, JobFailureName.OutputLimitExceeded)
    await assertStillServing()
  })

  test('hostile: a fork bomb is stopped (ProcessLimitExceeded) and leaves no process behind', async () => {
    const result = await runtime.run(await script(':(){ :|:& };:; sleep 30', { processes: 16, wallSeconds: 20 }))
    assertFailure(result, JobFailureName.ProcessLimitExceeded)
    assert.ok(result.usage.wallMs < 15_000)
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.is(await sandboxProcessCount(), 0)
    await assertStillServing()
  })

  test('/tmp is private to each job', async () => {
    await runtime.run(await script('echo left > /tmp/note'))
    const result = await runtime.run(await script('ls -A /tmp'))
    assert.is(text(result.stdout), '')
  })
}

test('without bubblewrap the runtime refuses to start (SandboxUnavailableError)', async () => {
  const refusing = createProcessRuntime({ workRoot: join(root, 'work-nobwrap'), bwrap: '/nonexistent/bwrap' })
  try {
    await refusing.start()
    assert.unreachable('start should have failed')
  } catch (error) {
    assert.is((error as Error).name, 'SandboxUnavailableError')
  }
})

test('with allowUnsandboxed it runs jobs, with rlimits but no sandbox', async () => {
  const unsandboxed = createProcessRuntime({ workRoot: join(root, 'work-unsandboxed'), bwrap: '/nonexistent/bwrap', allowUnsandboxed: true, sandboxRoot: join(root, 'sandbox') })
  await unsandboxed.start()
  try {
    const result = await unsandboxed.run(await script('echo unsandboxed; while :; do :; done', { cpuSeconds: 1, wallSeconds: 120 }))
    assert.is(text(result.stdout), 'unsandboxed\n')
    assertFailure(result, JobFailureName.CpuTimeLimitExceeded)
  } finally {
    await unsandboxed.stop()
  }
})

// Live processes owned by the default sandbox uids (200000–200999); zombies wait for the host's init.
async function sandboxProcessCount(): Promise<number> {
  let count = 0
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue
    const status = await readFile(`/proc/${name}/status`, 'utf8').catch(() => '')
    if (/^State:\s+Z/m.test(status)) continue
    const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1])
    if (uid >= 200_000 && uid < 201_000) count++
  }
  return count
}

test.run()
