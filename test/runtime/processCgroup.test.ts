import { existsSync } from 'node:fs'
import { chmod, mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createProcessRuntime, type Runtime } from '../../node/runtime/index.ts'
import { makeJob, text } from './jobFixtures.ts'

// Per-job cgroups on this machine's kernel (v1 here: memory, cpu and pids under
// /sys/fs/cgroup/<controller>; v2 hosts take the other branch of jobCgroup.ts).
const test = suite('process runtime: per-job cgroups')

let root: string
let runtime: Runtime
const cgroupRoot = '/sys/fs/cgroup'
const v1 = !existsSync(join(cgroupRoot, 'cgroup.controllers'))
const jobCgroups = async () => {
  const dirs = v1 ? ['memory', 'cpu', 'pids'].map((controller) => join(cgroupRoot, controller)) : [join(cgroupRoot, 'allot')]
  const found: string[] = []
  const walk = async (dir: string, depth: number) => {
    for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
      if (!entry.isDirectory()) continue
      // This test's jobs only (ids `cgroup-…`): other tests' jobs, or a leftover of some other run on this machine, are not its business.
      if (entry.name.startsWith('allot-cgroup-')) found.push(join(dir, entry.name))
      else if (depth < 3) await walk(join(dir, entry.name), depth + 1)
    }
  }
  for (const dir of dirs) await walk(dir, 0)
  return found
}

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-cgroup-'))
  await chmod(root, 0o711)
  runtime = createProcessRuntime({ workRoot: join(root, 'work'), sandboxRoot: join(root, 'sandbox'), pollMs: 50 })
  await runtime.start()
})

test.after(async () => {
  await runtime.stop()
  await rm(root, { recursive: true, force: true })
})

test('a job runs in a cgroup of its own holding its memory, CPU quota and process count; it is gone afterwards', async () => {
  const job = await makeJob(
    root,
    { runtime: 'process', entry: '/bin/sh', args: ['-c', 'sleep 1'], resources: { cpuMillicores: 500, memoryMiB: 256, diskMiB: 16 }, limits: { memoryMiB: 96, processes: 8 } },
    {},
    'cgroup-limits',
  )
  const running = runtime.run(job)
  let seen: Record<string, string> = {}
  for (let i = 0; i < 40 && Object.keys(seen).length === 0; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50))
    for (const dir of await jobCgroups()) {
      const read = (file: string) => readFile(join(dir, file), 'utf8').then((value) => value.trim(), () => undefined)
      for (const file of v1 ? ['memory.limit_in_bytes', 'cpu.cfs_quota_us', 'pids.max'] : ['memory.max', 'cpu.max', 'pids.max']) {
        const value = await read(file)
        if (value !== undefined) seen[file] = value
      }
    }
  }
  const result = await running
  assert.is(result.failure, undefined, text(result.stderr))
  if (v1) assert.equal(seen, { 'memory.limit_in_bytes': String(96 * 2 ** 20), 'cpu.cfs_quota_us': '50000', 'pids.max': '11' })
  else assert.equal(seen, { 'memory.max': String(96 * 2 ** 20), 'cpu.max': '50000 100000', 'pids.max': '11' })
  assert.equal(await jobCgroups(), [])
})

test('processes that each stay under the per-process limit but together pass the job\'s memory are killed (MemoryLimitExceeded)', async () => {
  // Five processes of ~24 MB each: every one is under RLIMIT_AS (64 MiB), the tree is not.
  const hog = 'x=$(head -c 24000000 /dev/zero | tr "\\0" a); sleep 30'
  const job = await makeJob(root, { runtime: 'process', entry: '/bin/sh', args: ['-c', `for i in 1 2 3 4 5; do sh -c '${hog}' & done; wait`], limits: { memoryMiB: 64, wallSeconds: 20, processes: 64 } }, {}, 'cgroup-memory')
  const result = await runtime.run(job)
  assert.is(result.failure?.name, 'MemoryLimitExceeded', JSON.stringify(result.failure) + text(result.stderr))
  assert.equal(await jobCgroups(), [])
})

test('a fork bomb stops at the cgroup\'s pids limit (ProcessLimitExceeded) and leaves nothing behind', async () => {
  const job = await makeJob(root, { runtime: 'process', entry: '/bin/sh', args: ['-c', 'bomb() { bomb | bomb & }; bomb; sleep 10'], limits: { processes: 8, wallSeconds: 15 } }, {}, 'cgroup-pids')
  const result = await runtime.run(job)
  assert.is(result.failure?.name, 'ProcessLimitExceeded', JSON.stringify(result) + text(result.stdout) + text(result.stderr))
  assert.equal(await jobCgroups(), [])
})

test.run()
