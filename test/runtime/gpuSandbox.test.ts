import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { CapacityLedger, createProcessRuntime, detectGpus, type DetectedGpu, type Runtime } from '../../node/runtime/index.ts'
import { installFakeNvidiaSmi, type FakeNvidiaSmi } from '../helpers/fake-nvidia-smi.ts'
import { makeJob, text } from './jobFixtures.ts'

// No GPU on this machine: the recorded nvidia-smi answer of an eight-H100 host,
// and stand-in device nodes in a temp folder (the runtime's device root). What
// each sandbox can see is what is checked; a real GPU host runs examples/gpu-info.
const test = suite('GPUs handed to exactly one process job')

let root: string
let devices: string
let fake: FakeNvidiaSmi
let gpus: DetectedGpu[]
let runtime: Runtime
let ledger: CapacityLedger
const listDevices = 'ls /dev | grep nvidia | tr "\\n" " "; echo; echo "CUDA=${CUDA_VISIBLE_DEVICES:-none} NVIDIA=${NVIDIA_VISIBLE_DEVICES:-none}"; sleep 1'

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-gpu-'))
  await chmod(root, 0o711)
  fake = await installFakeNvidiaSmi()
  ;({ gpus } = await detectGpus({ env: fake.env('eight-h100'), procDir: join(root, 'no-proc') }))
  devices = join(root, 'dev')
  await mkdir(devices)
  for (const name of [...gpus.map((gpu) => `nvidia${gpu.index}`), 'nvidiactl', 'nvidia-uvm']) await writeFile(join(devices, name), '')
  ledger = new CapacityLedger({ capacity: { cpuMillicores: 8000, memoryMiB: 8192, diskMiB: 1024, gpus } })
  runtime = createProcessRuntime({ workRoot: join(root, 'work'), sandboxRoot: join(root, 'sandbox'), deviceRoot: devices, gpus, pollMs: 50 })
  await runtime.start()
})

test.after(async () => {
  await runtime.stop()
  await fake.remove()
  await rm(root, { recursive: true, force: true })
})

const gpuJob = (id: string, count: number) =>
  makeJob(root, { runtime: 'process', entry: '/bin/sh', args: ['-c', listDevices], resources: { cpuMillicores: 1000, memoryMiB: 256, diskMiB: 16, ...(count ? { gpu: { count, model: 'nvidia-h100-80gb' } } : {}) } }, {}, id)

test('a job given two of eight GPUs sees exactly their nodes and UUIDs; a concurrent job without GPUs sees none; a third asking for seven is refused', async () => {
  const first = await gpuJob('first', 2)
  const reserved = ledger.reserve('first', first.manifest.resources)
  assert.is(reserved.gpus.length, 2)
  const other = await gpuJob('other', 0)
  const [withGpus, without] = await Promise.all([runtime.run({ ...first, gpus: reserved.gpus }), runtime.run(other)])
  const [seen, env] = text(withGpus.stdout).trim().split('\n')
  const expected = reserved.gpus.map((gpu) => `nvidia${gpu.index}`)
  assert.equal(seen!.trim().split(' ').sort(), [...expected, 'nvidia-uvm', 'nvidiactl'].sort())
  const uuids = reserved.gpus.map((gpu) => gpu.uuid).join(',')
  assert.is(env, `CUDA=${uuids} NVIDIA=${uuids}`)
  assert.is(text(without.stdout), '\nCUDA=none NVIDIA=none\n')
  // The two are held for the first job: seven of eight cannot be had until it ends.
  assert.throws(() => ledger.reserve('third', { cpuMillicores: 1000, memoryMiB: 256, diskMiB: 16, gpu: { count: 7 } }), (error: Error) => error.name === 'InsufficientGpusError')
  ledger.release('first')
  const third = ledger.reserve('third', { cpuMillicores: 1000, memoryMiB: 256, diskMiB: 16, gpu: { count: 7 } })
  assert.is(third.gpus.length, 7)
  assert.is(new Set(third.gpus.map((gpu) => gpu.uuid)).size, 7)
  ledger.release('third')
})

test('a provider selling a GPU whose device node is missing refuses to start (GpuDeviceMissingError)', async () => {
  const missing = createProcessRuntime({ workRoot: join(root, 'work-missing'), sandboxRoot: join(root, 'sandbox'), deviceRoot: join(root, 'empty-dev'), gpus })
  try {
    await missing.start()
    assert.unreachable()
  } catch (error) {
    assert.is((error as Error).name, 'GpuDeviceMissingError')
    assert.match((error as Error).message, /empty-dev\/nvidia0/)
  }
})

test.run()
