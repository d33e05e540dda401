import { createHash } from 'node:crypto'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  bundlePathProblem,
  decodeJobBundle,
  decodeResultBundle,
  encodeJobBundle,
  encodeResultBundle,
  hashJobBundle,
  hashResultBundle,
  type ResultBundle,
  validateJobBundle,
} from '../../protocol/job/index.ts'

const test = suite('job and result bundles')

const text = (value: string) => new TextEncoder().encode(value)
const manifest = text(
  JSON.stringify({
    version: 1,
    runtime: 'wasm',
    entry: 'main.wasm',
    inputs: ['data/in.txt'],
    limits: { wallSeconds: 10, cpuSeconds: 10, memoryMiB: 16, outputMiB: 1 },
    resources: { cpuMillicores: 1000, memoryMiB: 16, diskMiB: 1 },
  }),
)
const files = [
  { path: 'allot.job.json', bytes: manifest },
  { path: 'main.wasm', bytes: new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]) },
  { path: 'data/in.txt', bytes: text('hello\n') },
]

test('the job hash is SHA-256 of the canonical encoding, whatever the order of the files', () => {
  const hash = hashJobBundle(files)
  assert.match(hash, /^0x[0-9a-f]{64}$/)
  assert.is(hashJobBundle([...files].reverse()), hash)
  assert.is(hashJobBundle([files[2]!, files[0]!, files[1]!]), hash)
  assert.is(`0x${createHash('sha256').update(encodeJobBundle(files)).digest('hex')}`, hash)
})

test('the encoding is exactly as docs/jobs.md specifies', () => {
  const bytes = encodeJobBundle([{ path: 'b', bytes: text('xy') }, { path: 'a', bytes: new Uint8Array(0) }])
  const expected = Buffer.concat([
    Buffer.from('allot.job.v1\0'),
    Buffer.from([0, 0, 0, 2]),
    Buffer.from([0, 1]), Buffer.from('a'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from([0, 1]), Buffer.from('b'), Buffer.from([0, 0, 0, 0, 0, 0, 0, 2]), Buffer.from('xy'),
  ])
  assert.equal(Buffer.from(bytes), expected)
  // Fixed vectors (also in docs/jobs.md): a change to the encoding shows up here.
  assert.is(hashJobBundle([{ path: 'b', bytes: text('xy') }, { path: 'a', bytes: new Uint8Array(0) }]), '0x282946f703975ed80c01bd846339943edcb568b45d506c4e80aec3d336de015b')
  assert.is(hashJobBundle([]), '0xb44529a0a1069601a17fc7ca7f0ffee3865822a846b7a7882459f1ff73addb54')
})

test('paths are ordered by UTF-8 bytes, not UTF-16 code units', () => {
  // U+FF5E sorts after U+1F600 in UTF-16 code units but before it in UTF-8 bytes.
  const decoded = decodeJobBundle(encodeJobBundle([{ path: '\u{1F600}', bytes: text('1') }, { path: '\uFF5E', bytes: text('2') }]))
  assert.equal(decoded.map((file) => file.path), ['\uFF5E', '\u{1F600}'])
})

test('any change to a path or a byte changes the hash', () => {
  const hash = hashJobBundle(files)
  assert.is.not(hashJobBundle([...files.slice(0, 2), { path: 'data/in.txt', bytes: text('hello!') }]), hash)
  assert.is.not(hashJobBundle([...files.slice(0, 2), { path: 'data/in2.txt', bytes: text('hello\n') }]), hash)
  // Lengths are part of the encoding, so moving bytes between a path and its content is seen.
  assert.is.not(hashJobBundle([{ path: 'ab', bytes: text('c') }]), hashJobBundle([{ path: 'a', bytes: text('bc') }]))
})

test('path rules: relative, no "..", no empty or "." segment, no backslash or control character, NFC', () => {
  for (const path of ['', '/etc/passwd', '../key', 'a/../../key', 'a//b', 'a/', './a', 'a\\b', 'a\u0000b', 'a\nb', 'e\u0301', 'x'.repeat(256)])
    assert.ok(bundlePathProblem(path), JSON.stringify(path))
  for (const path of ['a', 'a/b.c', '.hidden', 'dir/..x', 'é', 'a b'])
    assert.is(bundlePathProblem(path), undefined, path)
  assert.throws(() => hashJobBundle([{ path: '../key', bytes: text('x') }]), (error: Error) => error.name === 'InvalidBundlePathError')
  assert.throws(() => hashJobBundle([{ path: 'a', bytes: text('x') }, { path: 'a', bytes: text('y') }]), (error: Error) => error.name === 'DuplicateBundlePathError')
  assert.throws(() => hashJobBundle([{ path: 'a', bytes: text('x') }, { path: 'a/b', bytes: text('y') }]), (error: Error) => error.name === 'DuplicateBundlePathError')
})

test('decoding round-trips and accepts only the canonical encoding', () => {
  const bytes = encodeJobBundle(files)
  const decoded = decodeJobBundle(bytes)
  assert.is(hashJobBundle(decoded), hashJobBundle(files))
  const malformed = (mutate: (b: Uint8Array) => Uint8Array) => {
    assert.throws(() => decodeJobBundle(mutate(new Uint8Array(bytes))), (error: Error) => error.name === 'MalformedBundleError')
  }
  malformed((b) => b.subarray(0, b.length - 1))
  malformed((b) => Buffer.concat([b, Buffer.from([0])]))
  malformed((b) => ((b[0] = 0x41), b))
  // Two files swapped: same content, non-canonical order.
  const swapped = Buffer.concat([
    Buffer.from('allot.job.v1\0'), Buffer.from([0, 0, 0, 2]),
    Buffer.from([0, 1]), Buffer.from('b'), Buffer.alloc(8),
    Buffer.from([0, 1]), Buffer.from('a'), Buffer.alloc(8),
  ])
  assert.throws(() => decodeJobBundle(swapped), (error: Error) => error.name === 'MalformedBundleError')
})

test('validateJobBundle checks the manifest, entry, inputs and output folder', () => {
  assert.is(validateJobBundle(files).entry, 'main.wasm')
  const missing = (list: typeof files) => assert.throws(() => validateJobBundle(list), (error: Error) => error.name === 'MissingBundleFileError')
  missing(files.slice(1))
  missing(files.filter((file) => file.path !== 'main.wasm'))
  missing(files.filter((file) => file.path !== 'data/in.txt'))
  assert.throws(
    () => validateJobBundle([...files, { path: 'output/stale.txt', bytes: text('x') }]),
    (error: Error) => error.name === 'OutputFolderNotEmptyError',
  )
})

test('the result hash covers exit code, stdout, stderr and output files', () => {
  const result: ResultBundle = { exitCode: 0, stdout: text('ok\n'), stderr: text(''), files: [{ path: 'sha256.txt', bytes: text('abc') }] }
  const hash = hashResultBundle(result)
  assert.is(hash, '0x04e3669bb1e117d4d6de30c1b0358c16191ad9fe1183ddbf5f259f3c61b6b386')
  assert.is.not(hashResultBundle({ ...result, exitCode: 1 }), hash)
  assert.is.not(hashResultBundle({ ...result, stdout: text('ok') }), hash)
  // stdout and stderr are length-prefixed, so bytes cannot move from one to the other unseen.
  assert.is.not(hashResultBundle({ ...result, stdout: text('ok'), stderr: text('\n') }), hash)
  assert.is.not(hashResultBundle({ ...result, files: [] }), hash)
  assert.is(`0x${createHash('sha256').update(encodeResultBundle(result)).digest('hex')}`, hash)
  const decoded = decodeResultBundle(encodeResultBundle({ ...result, exitCode: -1 }))
  assert.is(decoded.exitCode, -1)
  assert.is(Buffer.from(decoded.stdout).toString(), 'ok\n')
  assert.is(hashResultBundle(decodeResultBundle(encodeResultBundle(result))), hash)
  assert.throws(() => decodeResultBundle(encodeJobBundle(files)), (error: Error) => error.name === 'MalformedBundleError')
})

test.run()
