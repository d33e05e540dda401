import { execFileSync } from 'node:child_process'
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises'
import Dockerode from 'dockerode'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type JobManifestInput, parseJobManifest } from '../../protocol/job/index.ts'
import { createDockerRuntime, dockerContainerOptions, type DockerRuntimeInit } from '../../node/runtime/index.ts'
import { type DockerEngine, startDockerd } from '../helpers/dockerd.ts'
import { predictedCgroupEventFiles } from '../../node/runtime/docker/watchCgroupEvents.ts'
import { makeJob, repoRoot, text } from './jobFixtures.ts'

const test = suite('docker runtime')


const manifest = parseJobManifest({
  version: 1,
  runtime: 'docker',
  entry: 'busybox:latest',
  args: ['sh', '-c', 'echo hi'],
  env: { A: 'b' },
  limits: { wallSeconds: 10, cpuSeconds: 5, memoryMiB: 64, outputMiB: 1, processes: 8 },
  resources: { cpuMillicores: 500, memoryMiB: 64, diskMiB: 32, gpu: { count: 1 } },
})

test('the container has no network, a read-only root, no capabilities, and the limits', () => {
  const gpus = [{ index: 1, uuid: 'GPU-b', name: 'NVIDIA H100 80GB HBM3', model: 'nvidia-h100-80gb', vramMiB: 81559 }]
  const options = dockerContainerOptions({ jobId: 'j1', owner: '/srv', manifest, workDir: '/srv/jobs/j1', user: '65534:65534', gpus })
  assert.is(options.NetworkDisabled, true)
  assert.is(options.HostConfig?.NetworkMode, 'none')
  assert.is(options.HostConfig?.ReadonlyRootfs, true)
  assert.equal(options.HostConfig?.CapDrop, ['ALL'])
  assert.equal(options.HostConfig?.Binds, ['/srv/jobs/j1:/job:rw'])
  assert.is(options.HostConfig?.Memory, 64 * 2 ** 20)
  assert.is(options.HostConfig?.MemorySwap, 64 * 2 ** 20)
  assert.is(options.HostConfig?.PidsLimit, 8)
  assert.is(options.HostConfig?.NanoCpus, 500_000_000)
  assert.equal(options.HostConfig?.DeviceRequests, [{ Driver: 'nvidia', DeviceIDs: ['GPU-b'], Capabilities: [['gpu']] }])
  assert.equal(options.Env, ['A=b'])
  assert.equal(options.Cmd, ['sh', '-c', 'echo hi'])
  assert.is(dockerContainerOptions({ jobId: 'j2', owner: '/srv', manifest, workDir: '/w', user: '1:1' }).HostConfig?.DeviceRequests, undefined)
})

test("a container's pids and memory event files are found before it starts, for each cgroup driver and version", () => {
  const id = 'c0ffee'
  assert.equal(predictedCgroupEventFiles(id, { driver: 'cgroupfs', version: '1' }, '/cg'), { forks: '/cg/pids/docker/c0ffee/pids.events', oom: '/cg/memory/docker/c0ffee/memory.oom_control' })
  assert.equal(predictedCgroupEventFiles(id, { driver: 'cgroupfs', version: '2' }, '/cg'), { forks: '/cg/docker/c0ffee/pids.events', oom: '/cg/docker/c0ffee/memory.events' })
  assert.equal(predictedCgroupEventFiles(id, { driver: 'systemd', version: '1' }, '/cg'), {
    forks: '/cg/pids/system.slice/docker-c0ffee.scope/pids.events',
    oom: '/cg/memory/system.slice/docker-c0ffee.scope/memory.oom_control',
  })
  assert.equal(predictedCgroupEventFiles(id, { driver: 'systemd', version: '2' }, '/cg'), {
    forks: '/cg/system.slice/docker-c0ffee.scope/pids.events',
    oom: '/cg/system.slice/docker-c0ffee.scope/memory.events',
  })
})

// The engine tests run against a Docker Engine of their own; where it cannot start they fail, never skip.
let engine: DockerEngine
let root: string
let docker: Dockerode
let imageId: string
let imageDir: string

test.before(async () => {
  engine = await startDockerd()
  root = await mkdtemp(join(tmpdir(), 'allot-docker-'))
  docker = new Dockerode({ socketPath: engine.socketPath })
  imageDir = join(root, 'example')
  await cp(join(repoRoot, 'examples', 'docker-wordcount'), imageDir, { recursive: true })
  imageId = execFileSync(join(imageDir, 'build.sh'), [imageDir], { env: { ...process.env, DOCKER_HOST: engine.host } }).toString().trim()
})

test.after(async () => {
  await engine?.stop()
  if (root) await rm(root, { recursive: true, force: true })
})

const bare = (args: string[], limits: Partial<JobManifestInput['limits']> = {}, files: Record<string, string | Uint8Array> = {}) =>
  makeJob(root, { runtime: 'docker', entry: imageId, args, limits: { memoryMiB: 64, ...limits }, resources: { cpuMillicores: 500, memoryMiB: 64, diskMiB: 16 } }, files)
const ours = async () => (await docker.listContainers({ all: true, filters: { label: ['allot.owner'] } })).length
const started = async (work = 'work', init: Partial<DockerRuntimeInit> = {}) => {
  const runtime = createDockerRuntime({ workRoot: join(root, work), host: engine.host, ...init })
  await runtime.start()
  return runtime
}

test('start() names a missing engine (DockerUnavailableError)', async () => {
  const runtime = createDockerRuntime({ workRoot: join(root, 'none'), host: `unix://${join(root, 'nothing.sock')}` })
  try {
    await runtime.start()
    assert.unreachable()
  } catch (error) {
    assert.is((error as Error).name, 'DockerUnavailableError')
  }
})

test('the example image runs the job with no network, a read-only root, no capabilities, as a non-root user; the container is removed', async () => {
  const runtime = await started()
  try {
    const job = await bare(['/bin/busybox', 'sh', '-c', [
      'echo hi > output/x; cat output/x',
      '/bin/busybox wget -T 2 -q -O- http://1.1.1.1 || echo offline',
      'echo uid=$(/bin/busybox id -u)',
      '/bin/busybox grep -E "^(CapEff|NoNewPrivs)" /proc/self/status',
      '/bin/busybox touch /bin/x 2>/dev/null || echo read-only',
      '/bin/busybox ls / | /bin/busybox tr "\\n" " "; echo',
    ].join('; ')])
    const result = await runtime.run(job)
    assert.is(result.failure, undefined, text(result.stderr))
    assert.is(result.exitCode, 0)
    const lines = text(result.stdout).split('\n')
    assert.is(lines[0], 'hi')
    assert.is(lines[1], 'offline')
    assert.is.not(lines[2], 'uid=0')
    assert.match(text(result.stdout), /CapEff:\s+0000000000000000/)
    assert.match(text(result.stdout), /NoNewPrivs:\s+1/)
    assert.ok(lines.includes('read-only'))
    assert.is(await ours(), 0)
  } finally {
    await runtime.stop()
  }
})

test('limits: the wall clock, memory, processes and output each stop the container with a named failure, and none is left', async () => {
  const runtime = await started()
  try {
    const cases: [string[], Partial<JobManifestInput['limits']>, string][] = [
      [['/bin/busybox', 'sh', '-c', 'while :; do :; done'], { wallSeconds: 2 }, 'WallTimeLimitExceeded'],
      [['/bin/busybox', 'sh', '-c', 'x=$(/bin/busybox head -c 200000000 /dev/zero | /bin/busybox tr "\\0" a); echo ${#x}'], { memoryMiB: 32 }, 'MemoryLimitExceeded'],
      [['/bin/busybox', 'sh', '-c', 'while :; do /bin/busybox yes flood; done'], { outputMiB: 1 }, 'OutputLimitExceeded'],
      // Hits its process limit and ends at once: the engine removes the cgroup within milliseconds of the refusal.
      [['/bin/busybox', 'sh', '-c', 'i=0; while [ $i -lt 16 ]; do /bin/busybox sleep 5 & i=$((i+1)); done; exit 0'], { processes: 8 }, 'ProcessLimitExceeded'],
      [['/bin/busybox', 'sh', '-c', 'while :; do /bin/busybox head -c 1048576 /dev/zero >> output/big; done'], { outputMiB: 1 }, 'OutputLimitExceeded'],
    ]
    for (const [args, limits, expected] of cases) {
      const result = await runtime.run(await bare(args, limits))
      assert.is(result.failure?.name, expected, `${args.at(-1)}: ${JSON.stringify(result.failure)} ${text(result.stderr)}`)
      assert.is(await ours(), 0)
    }
  } finally {
    await runtime.stop()
  }
})

test('hostile containers: a fork bomb is stopped (ProcessLimitExceeded); mount, chown to root, device nodes, host files and the network are all refused; the runtime keeps serving', async () => {
  const runtime = await started()
  try {
    const bomb = await runtime.run(await bare(['/bin/busybox', 'sh', '-c', 'b() { b | b & }; b; /bin/busybox sleep 30'], { processes: 8, wallSeconds: 20 }))
    assert.is(bomb.failure?.name, 'ProcessLimitExceeded', JSON.stringify(bomb.failure) + text(bomb.stderr))
    const tries = [
      '/bin/busybox mount -t tmpfs none /tmp 2>/dev/null && echo mounted || echo mount-refused',
      '/bin/busybox touch /job/x; /bin/busybox chown 0:0 /job/x 2>/dev/null && echo chowned || echo chown-refused',
      '/bin/busybox mknod /job/sda b 8 0 2>/dev/null && echo mknod || echo mknod-refused',
      '/bin/busybox ls /dev | /bin/busybox tr "\n" " "; echo',
      '/bin/busybox cat /etc/shadow 2>/dev/null || echo no-host-files',
      '/bin/busybox nc -w 1 10.0.0.1 80 </dev/null 2>/dev/null && echo connected || echo no-network',
    ]
    const probe = await runtime.run(await bare(['/bin/busybox', 'sh', '-c', tries.join('; ')]))
    const lines = text(probe.stdout).trim().split('\n')
    assert.equal([lines[0], lines[1], lines[2], lines[4], lines[5]], ['mount-refused', 'chown-refused', 'mknod-refused', 'no-host-files', 'no-network'], text(probe.stdout) + text(probe.stderr))
    // Docker's minimal /dev: no disks, no GPUs, nothing raw.
    assert.not.match(lines[3]!, /sd|nvme|nvidia|mem /)
    const after = await runtime.run(await bare(['/bin/busybox', 'echo', 'still serving']))
    assert.is(text(after.stdout), 'still serving\n')
    assert.is(await ours(), 0)
  } finally {
    await runtime.stop()
  }
})

test('admit: an image named by tag, a missing image, an archive of another image and an oversized archive are each refused by name', async () => {
  const runtime = await started('admit', { maxImageBytes: 64 * 2 ** 20 })
  const archive = await readFile(join(imageDir, 'image.tar'))
  const admit = async (entry: string, image: string | undefined, files: Record<string, Uint8Array> = {}) => {
    const job = await makeJob(root, { runtime: 'docker', entry, ...(image ? { image } : {}) }, files)
    return runtime.admit(job).then(() => 'admitted', (error: Error) => error.name)
  }
  try {
    assert.is(await admit('allot-example/busybox:1', undefined), 'DockerImageUnpinnedError')
    assert.is(await admit(`sha256:${'1'.repeat(64)}`, undefined), 'DockerImageMissingError')
    assert.is(await admit(`sha256:${'1'.repeat(64)}`, 'image.tar', { 'image.tar': archive }), 'DockerImageMismatchError')
    assert.is(await admit(imageId, 'image.tar', {}), 'DockerImageMissingError')
    assert.is(await admit(imageId, 'image.tar', { 'image.tar': archive }), 'admitted')
    const small = await started('small', { maxImageBytes: 1024 })
    const job = await makeJob(root, { runtime: 'docker', entry: imageId, image: 'image.tar' }, { 'image.tar': archive })
    assert.is(await small.admit(job).then(() => 'admitted', (error: Error) => error.name), 'DockerImageTooLargeError')
    await small.stop()
  } finally {
    await runtime.stop()
  }
})

test('a job carrying its image archive loads it on an engine that lacks it, and runs', async () => {
  await docker.getImage(imageId).remove({ force: true })
  const runtime = await started()
  try {
    const job = await makeJob(root, { runtime: 'docker', entry: imageId, image: 'image.tar', args: ['/bin/sh', '-c', 'echo loaded'] }, { 'image.tar': await readFile(join(imageDir, 'image.tar')) })
    await runtime.admit(job)
    const result = await runtime.run(job)
    assert.is(text(result.stdout), 'loaded\n', text(result.stderr))
  } finally {
    await runtime.stop()
  }
})

test('a provider restarted after a crash removes the containers its previous run left, and no one else\'s', async () => {
  const workRoot = join(root, 'crashed')
  const job = await bare(['/bin/busybox', 'sleep', '600'])
  // What a provider killed by SIGKILL leaves: its labelled container, still running.
  const left = await docker.createContainer(dockerContainerOptions({ jobId: 'lost', owner: workRoot, manifest: job.manifest, workDir: job.bundleDir, user: '65534:65534' }))
  await left.start()
  const other = await docker.createContainer(dockerContainerOptions({ jobId: 'other', owner: join(root, 'elsewhere'), manifest: job.manifest, workDir: job.bundleDir, user: '65534:65534' }))
  const runtime = await started('crashed')
  try {
    const names = (await docker.listContainers({ all: true })).map((container) => container.Id)
    assert.not.ok(names.includes(left.id))
    assert.ok(names.includes(other.id))
  } finally {
    await runtime.stop()
    await other.remove({ force: true })
  }
})

test('loaded images stay within the cache\'s bounds: the least recently used goes, never one a running job uses', async () => {
  // A second image, built as the example's is, that differs by one file.
  const second = join(root, 'second')
  const env = { ...process.env, DOCKER_HOST: engine.host }
  const secondId = execFileSync('sh', ['-c', 'set -eu; mkdir -p "$1/rootfs/bin"; cp "$(command -v busybox)" "$1/rootfs/bin/busybox"; echo second > "$1/rootfs/marker"; tar -C "$1/rootfs" -c . | docker import - allot-test/second:1', 'sh', second], { env }).toString().trim()
  execFileSync('docker', ['save', '-o', join(second, 'image.tar'), 'allot-test/second:1'], { env })
  await docker.getImage(secondId).remove({ force: true })
  await docker.getImage(imageId).remove({ force: true }).catch(() => {})
  const present = async (id: string) => docker.getImage(id).inspect().then(() => true, () => false)
  const archives = { first: await readFile(join(imageDir, 'image.tar')), second: await readFile(join(second, 'image.tar')) }
  const job = (entry: string, tar: Uint8Array, args: string[]) => makeJob(root, { runtime: 'docker', entry, image: 'image.tar', args, limits: { wallSeconds: 30 } }, { 'image.tar': tar })
  const runtime = await started('cache', { imageCache: { maxImages: 1 } })
  try {
    const long = runtime.run(await job(imageId, archives.first, ['/bin/busybox', 'sleep', '3']))
    while ((await ours()) === 0) await new Promise((resolve) => setTimeout(resolve, 50))
    // Two images loaded, one allowed: the running job's stays, so the other goes at once.
    const quick = await runtime.run(await job(secondId, archives.second, ['/bin/busybox', 'cat', '/marker']))
    assert.is(text(quick.stdout), 'second\n', text(quick.stderr))
    assert.ok(await present(imageId), 'the image of the running job stays')
    assert.not.ok(await present(secondId), 'the idle image went')
    assert.is((await long).exitCode, 0)
    // Loaded again from its job's archive: now the first image, idle and least recently used, goes.
    const again = await runtime.run(await job(secondId, archives.second, ['/bin/busybox', 'cat', '/marker']))
    assert.is(text(again.stdout), 'second\n', text(again.stderr))
    assert.not.ok(await present(imageId), 'the least recently used image went')
    assert.ok(await present(secondId), 'the image just used stays')
  } finally {
    await runtime.stop()
  }
  // A provider restarted from the same home still counts the image its previous run loaded as its own.
  const before = await started('cache', { imageCache: { maxImages: 1 } })
  await before.stop()
  const restarted = await started('cache', { imageCache: { maxImages: 1 } })
  try {
    const first = await restarted.run(await job(imageId, archives.first, ['/bin/busybox', 'true']))
    assert.is(first.exitCode, 0, text(first.stderr))
    assert.ok(await present(imageId))
    assert.not.ok(await present(secondId), 'the image loaded before the restart went, the cache holding one')
  } finally {
    await restarted.stop()
  }
})

test.run()
