import { spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, rmdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type CgroupEvent, type CgroupEventFiles, type CgroupEventsPoller, startCgroupEventsPoller } from '../../node/runtime/docker/watchCgroupEvents.ts'

// The Docker runtime's cgroup-events watch, against real pids and memory cgroups of this test's own (named
// so that the process runtime's test, which counts `allot-*` cgroups, never sees them). The event loop is
// held for the whole life of the job and of its cgroup, as a busy provider's can be: only a watch off the
// loop reads the kernel's counts before the cgroup is gone.
const test = suite('docker runtime: the cgroup-events watch')

const cgroupRoot = '/sys/fs/cgroup'
const v1 = !existsSync(join(cgroupRoot, 'cgroup.controllers'))
const name = `forkwatch-test-${process.pid}`
// One cgroup per controller on v1 (this machine), one for both on v2.
const dirs = v1 ? [join(cgroupRoot, 'pids', name), join(cgroupRoot, 'memory', name)] : [join(cgroupRoot, name)]
const files: Record<CgroupEvent, string> = v1
  ? { forks: join(dirs[0]!, 'pids.events'), oom: join(dirs[1]!, 'memory.oom_control') }
  : { forks: join(dirs[0]!, 'pids.events'), oom: join(dirs[0]!, 'memory.events') }

let poller: CgroupEventsPoller

test.before(async () => {
  poller = await startCgroupEventsPoller()
})

test.after(async () => {
  await poller.close()
})

test.before.each(() => {
  // On v2 the root must hand the pids and memory controllers down (it does where any container engine runs).
  if (!v1) writeFileSync(join(cgroupRoot, 'cgroup.subtree_control'), '+pids +memory')
  for (const dir of dirs) mkdirSync(dir)
})

const limitProcesses = (count: number) => writeFileSync(join(dirs[0]!, 'pids.max'), String(count))
const limitMemory = (bytes: number) => writeFileSync(v1 ? join(dirs[1]!, 'memory.limit_in_bytes') : join(dirs[0]!, 'memory.max'), String(bytes))

test.after.each(() => {
  for (const dir of dirs) if (existsSync(dir)) rmdirSync(dir)
})

/**
 * Runs `script` in a shell inside the cgroups, waits for what it left behind, and removes the cgroups: all
 * without yielding to the event loop. Returns the shell's exit status and signal.
 */
function runAndRemoveBlocking(script: string) {
  const enter = dirs.map((dir) => `echo $$ > ${join(dir, 'cgroup.procs')}`).join('; ')
  const job = spawnSync('sh', ['-c', `${enter}; ${script}`], { stdio: 'ignore', timeout: 20_000 })
  spawnSync('sleep', ['0.5'])
  for (const dir of dirs) rmdirSync(dir)
  return { status: job.status, signal: job.signal }
}

function watched(watchFiles: CgroupEventFiles) {
  const seen: CgroupEvent[] = []
  const watch = poller.watch(watchFiles, (event) => seen.push(event))
  return { watch, seen }
}

test('a refused fork is read while the event loop is held, from a cgroup already gone when the loop runs again', async () => {
  limitProcesses(3)
  const { watch, seen } = watched(files)
  // dash and busybox sh exit with 2 where a fork is refused.
  assert.equal(runAndRemoveBlocking('for i in 1 2 3 4 5 6; do sleep 0.2 & done; exit 0'), { status: 2, signal: null })
  assert.is(dirs.some(existsSync), false)
  await watch.stop()
  assert.equal(seen, ['forks'], 'the refused fork is reported once')
  assert.ok(watch.reading('forks'))
})

test('an OOM kill is read the same way', async () => {
  limitMemory(16 * 2 ** 20)
  const { watch, seen } = watched(files)
  assert.equal(runAndRemoveBlocking('x=$(head -c 100000000 /dev/zero | tr "\\0" a); echo ${#x}'), { status: null, signal: 'SIGKILL' })
  await watch.stop()
  assert.equal(seen, ['oom'])
  assert.ok(watch.seen('oom'))
  assert.is(watch.seen('forks'), false)
})

test('a job under its limits is not reported; files added later are read too', async () => {
  limitProcesses(3)
  limitMemory(16 * 2 ** 20)
  const { watch, seen } = watched({ forks: join(dirs[0]!, 'no-such-file') })
  watch.add(files)
  await new Promise((resolve) => setTimeout(resolve, 50))
  assert.equal(runAndRemoveBlocking('sleep 0.1 & exit 0'), { status: 0, signal: null })
  await watch.stop()
  assert.equal(seen, [])
  assert.ok(watch.reading('forks') && watch.reading('oom'), 'the added files were read')
})

test('watches of several containers at once each see their own events; a closed poller reads nothing more', async () => {
  limitProcesses(3)
  const quiet = watched({ forks: '/nonexistent/pids.events' })
  const { watch, seen } = watched(files)
  assert.equal(runAndRemoveBlocking('for i in 1 2 3 4 5 6; do sleep 0.2 & done; exit 0'), { status: 2, signal: null })
  await watch.stop()
  await quiet.watch.stop()
  assert.equal(seen, ['forks'])
  assert.equal(quiet.seen, [])
  const closed = await startCgroupEventsPoller()
  await closed.close()
  const late = closed.watch(files, () => {})
  await late.stop()
  assert.is(late.reading('forks'), false)
})

test('a watch whose files never exist reads nothing and reports nothing', async () => {
  const { watch, seen } = watched({ forks: '/nonexistent/pids.events', oom: '/nonexistent/memory.events' })
  await new Promise((resolve) => setTimeout(resolve, 20))
  await watch.stop()
  assert.equal(seen, [])
  assert.is(watch.reading('forks') || watch.reading('oom'), false)
})

test.run()
