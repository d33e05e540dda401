import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { detectGpus, detectResources, gpuModelName, parseNvidiaSmiGpus } from '../../node/runtime/index.ts'
import { type FakeNvidiaSmi, installFakeNvidiaSmi } from '../helpers/fake-nvidia-smi.ts'

const test = suite('GPU detection')

let fake: FakeNvidiaSmi

test.before(async () => {
  fake = await installFakeNvidiaSmi()
})

test.after(async () => {
  await fake.remove()
})

const detect = (fixture: string) => detectGpus({ env: fake.env(fixture), procDir: '/nonexistent' })

test('one A100 SXM4 40GB', async () => {
  const { gpus, warning } = await detect('a100')
  assert.is(warning, undefined)
  assert.equal(gpus, [
    { index: 0, uuid: 'GPU-6f1a2b3c-4d5e-6f70-8192-a3b4c5d6e7f8', name: 'NVIDIA A100-SXM4-40GB', model: 'nvidia-a100-40gb', vramMiB: 40960, minor: undefined },
  ])
})

test('one H100 80GB HBM3', async () => {
  const { gpus } = await detect('h100')
  assert.is(gpus[0]!.model, 'nvidia-h100-80gb')
  assert.is(gpus[0]!.vramMiB, 81559)
})

test('one H200 (recorded from a real H200, driver 580.159.04), whose name carries no memory size', async () => {
  const { gpus } = await detect('h200')
  assert.is(gpus[0]!.model, 'nvidia-h200-141gb')
  assert.is(gpus[0]!.vramMiB, 143771)
})

test('one GeForce RTX 4090', async () => {
  const { gpus } = await detect('rtx4090')
  assert.is(gpus[0]!.model, 'nvidia-rtx-4090-24gb')
})

test('eight H100s, in index order with their uuids', async () => {
  const { gpus } = await detect('eight-h100')
  assert.is(gpus.length, 8)
  assert.equal(gpus.map((gpu) => gpu.index), [0, 1, 2, 3, 4, 5, 6, 7])
  assert.ok(gpus.every((gpu) => gpu.model === 'nvidia-h100-80gb'))
  assert.is(new Set(gpus.map((gpu) => gpu.uuid)).size, 8)
})

test('mixed models on one machine', async () => {
  const { gpus } = await detect('mixed')
  assert.equal(gpus.map((gpu) => gpu.model), ['nvidia-rtx-4090-24gb', 'nvidia-a100-80gb', 'nvidia-rtx-4090-24gb'])
})

test('"No devices were found" is no GPUs, not an error', async () => {
  assert.equal(await detect('no-devices'), { gpus: [] })
})

test('no nvidia-smi at all is no GPUs, not an error', async () => {
  assert.equal(await detectGpus({ env: { PATH: '/nonexistent' } }), { gpus: [] })
})

test('a driver that cannot be reached is a GpuDriverError warning and no GPUs', async () => {
  const { gpus, warning } = await detect('driver-error')
  assert.equal(gpus, [])
  assert.is(warning?.name, 'GpuDriverError')
  assert.match(warning!.message, /couldn't communicate with the NVIDIA driver/)
  assert.match(warning!.message, /exit code 9/)
})

test('detectResources reports CPU, memory, disk and GPUs, with warnings', async () => {
  const found = await detectResources({ home: await import('node:os').then((os) => os.tmpdir()), gpus: { env: fake.env('driver-error') } })
  assert.ok(found.cpuCores >= 1)
  assert.is(found.cpuMillicores, found.cpuCores * 1000)
  assert.ok(found.memoryMiB > 0)
  assert.ok(found.diskMiB > 0)
  assert.equal(found.gpus, [])
  assert.is(found.warnings[0]?.name, 'GpuDriverError')
})

test('model names from the names drivers report', () => {
  const cases: [string, number, string][] = [
    ['NVIDIA H100 80GB HBM3', 81559, 'nvidia-h100-80gb'],
    ['NVIDIA H100 PCIe', 81559, 'nvidia-h100-80gb'],
    ['NVIDIA H100 NVL', 95830, 'nvidia-h100-94gb'],
    ['NVIDIA A100-SXM4-40GB', 40960, 'nvidia-a100-40gb'],
    ['NVIDIA A100 80GB PCIe', 81920, 'nvidia-a100-80gb'],
    ['NVIDIA H200', 143771, 'nvidia-h200-141gb'],
    ['NVIDIA GeForce RTX 4090', 24564, 'nvidia-rtx-4090-24gb'],
    ['NVIDIA GeForce RTX 3080 Ti', 12288, 'nvidia-rtx-3080-ti-12gb'],
    ['NVIDIA RTX A6000', 49140, 'nvidia-rtx-a6000-48gb'],
    ['Tesla T4', 15360, 'nvidia-t4-16gb'],
    ['Tesla V100-SXM2-16GB', 16160, 'nvidia-v100-16gb'],
    ['NVIDIA L4', 23034, 'nvidia-l4-24gb'],
  ]
  for (const [name, vram, model] of cases) assert.is(gpuModelName(name, vram), model, name)
})

test('malformed lines are a named error', () => {
  assert.throws(() => parseNvidiaSmiGpus('garbage\n'), (error: Error) => error.name === 'NvidiaSmiOutputError')
  assert.throws(() => parseNvidiaSmiGpus('x, NVIDIA H100, 81559, GPU-1\n'), (error: Error) => error.name === 'NvidiaSmiOutputError')
  assert.equal(parseNvidiaSmiGpus('0, NVIDIA H100, [N/A], GPU-1\n')[0]!.vramMiB, 0)
})

test.run()
