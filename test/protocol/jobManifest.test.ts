import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { type InvalidJobManifestError, manifestRequirements, parseJobManifest } from '../../protocol/job/index.ts'

const test = suite('job manifest')

const base = {
  version: 1,
  runtime: 'wasm',
  entry: 'main.wasm',
  limits: { wallSeconds: 60, cpuSeconds: 30, memoryMiB: 64, outputMiB: 8 },
  resources: { cpuMillicores: 1000, memoryMiB: 128, diskMiB: 100 },
}

function failure(input: unknown): InvalidJobManifestError {
  try {
    parseJobManifest(input)
  } catch (error) {
    assert.is((error as Error).name, 'InvalidJobManifestError')
    return error as InvalidJobManifestError
  }
  throw new Error('expected the manifest to be refused')
}

test('a minimal manifest gets its defaults', () => {
  const manifest = parseJobManifest(base)
  assert.equal(manifest.args, [])
  assert.equal(manifest.env, {})
  assert.equal(manifest.inputs, [])
  assert.is(manifest.output, 'output')
  assert.is(manifest.limits.processes, 16)
})

test('reads bytes and text as well as values', () => {
  const text = JSON.stringify(base)
  assert.equal(parseJobManifest(text), parseJobManifest(new TextEncoder().encode(text)))
  assert.is(failure('{not json').path, '')
  assert.is(failure(new Uint8Array([0xff, 0xfe])).shortMessage, 'Invalid job manifest at `(root)`: not UTF-8.')
})

test('errors name the failing path', () => {
  const cases: [unknown, string][] = [
    [{ ...base, version: 2 }, 'version'],
    [{ ...base, runtime: 'vm' }, 'runtime'],
    [{ ...base, entry: '../main.wasm' }, 'entry'],
    [{ ...base, entry: '/main.wasm' }, 'entry'],
    [{ ...base, args: ['ok', 'nul\u0000'] }, 'args[1]'],
    [{ ...base, env: { PATH: 1 } }, 'env.PATH'],
    [{ ...base, inputs: ['data/../../key'] }, 'inputs[0]'],
    [{ ...base, output: '/abs' }, 'output'],
    [{ ...base, limits: { ...base.limits, wallSeconds: 0 } }, 'limits.wallSeconds'],
    [{ ...base, limits: { ...base.limits, memoryMiB: 256 } }, 'limits.memoryMiB'],
    [{ ...base, limits: { ...base.limits, processes: 1.5 } }, 'limits.processes'],
    [{ ...base, resources: { ...base.resources, gpu: { count: 1 } } }, 'resources.gpu'],
    [{ ...base, runtime: 'process', resources: { ...base.resources, gpu: { model: 'NVIDIA H100', count: 1 } } }, 'resources.gpu.model'],
    [{ ...base, inputs: ['output/seed.txt'] }, 'inputs[0]'],
    [{ ...base, runtime: 'docker', entry: 'bad image' }, 'entry'],
  ]
  for (const [input, path] of cases) assert.is(failure(input).path, path, JSON.stringify(input))
})

test('unknown fields are refused', () => {
  const error = failure({ ...base, priority: 'high' })
  assert.match(error.message, /priority/)
})

test('process entries may be absolute paths inside the sandbox', () => {
  const manifest = parseJobManifest({ ...base, runtime: 'process', entry: '/bin/sh', args: ['-c', 'echo hi'] })
  assert.is(manifest.entry, '/bin/sh')
  assert.is(failure({ ...base, runtime: 'process', entry: '/usr/../etc/shadow' }).path, 'entry')
})

test('manifestRequirements turns resources into bid requirements', () => {
  const manifest = parseJobManifest({ ...base, runtime: 'process', resources: { ...base.resources, gpu: { model: 'nvidia-h100-80gb', count: 2 } } })
  assert.equal(manifestRequirements(manifest), {
    cpuMillicores: 1000,
    memoryMiB: 128,
    diskMiB: 100,
    gpus: [{ model: 'nvidia-h100-80gb', vramMiB: 0, count: 2 }],
    runtime: 'process',
  })
  assert.equal(manifestRequirements(parseJobManifest(base)).gpus, [])
})

test.run()
