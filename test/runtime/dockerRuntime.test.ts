import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { parseJobManifest } from '../../protocol/job/index.ts'
import { createDockerRuntime, dockerContainerOptions } from '../../node/runtime/index.ts'
import { makeJob, text } from './jobFixtures.ts'

const test = suite('docker runtime')

const socketPath = process.env.DOCKER_SOCKET ?? '/var/run/docker.sock'
const image = process.env.ALLOT_TEST_DOCKER_IMAGE ?? 'busybox:latest'

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
  const options = dockerContainerOptions({ jobId: 'j1', manifest, workDir: '/srv/jobs/j1', user: '65534:65534', gpus })
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
  assert.is(dockerContainerOptions({ jobId: 'j2', manifest, workDir: '/w', user: '1:1' }).HostConfig?.DeviceRequests, undefined)
})

if (!existsSync(socketPath)) {
  test('docker engine tests', () => {
    console.log(`  SKIP: no Docker Engine socket at ${socketPath}; the docker runtime's engine tests need one (set DOCKER_SOCKET to use another).`)
  })
  test('start() names the missing engine (DockerUnavailableError)', async () => {
    const runtime = createDockerRuntime({ workRoot: join(tmpdir(), 'allot-docker-none'), socketPath })
    try {
      await runtime.start()
      assert.unreachable()
    } catch (error) {
      assert.is((error as Error).name, 'DockerUnavailableError')
    }
  })
} else {
  test('runs an image with no network and captures its output', async () => {
    const root = await mkdtemp(join(tmpdir(), 'allot-docker-'))
    const runtime = createDockerRuntime({ workRoot: join(root, 'work'), socketPath })
    await runtime.start()
    try {
      const job = await makeJob(root, { runtime: 'docker', entry: image, args: ['sh', '-c', 'echo hi > output/x; cat output/x; wget -T 2 -q -O- http://1.1.1.1 || echo offline'] }, {})
      const result = await runtime.run(job)
      assert.is(result.exitCode, 0)
      assert.is(text(result.stdout), 'hi\noffline\n')
    } finally {
      await runtime.stop()
      await rm(root, { recursive: true, force: true })
    }
  })
}

test.run()
