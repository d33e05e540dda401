import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { hashJobBundle } from '../../protocol/job/index.ts'
import { readBundleFolder, resultBundle } from '../../node/runtime/index.ts'

const test = suite('bundle folders')

let root: string
test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-bundle-'))
})
test.after(async () => {
  await rm(root, { recursive: true, force: true })
})

test('a folder reads into the list the hash takes, paths relative and /-separated', async () => {
  const dir = join(root, 'job')
  await mkdir(join(dir, 'data/deep'), { recursive: true })
  await writeFile(join(dir, 'allot.job.json'), '{}')
  await writeFile(join(dir, 'data/deep/x.bin'), new Uint8Array([1, 2, 3]))
  const files = await readBundleFolder(dir)
  assert.equal(files.map((file) => file.path).sort(), ['allot.job.json', 'data/deep/x.bin'])
  assert.is(hashJobBundle(files), hashJobBundle([{ path: 'data/deep/x.bin', bytes: new Uint8Array([1, 2, 3]) }, { path: 'allot.job.json', bytes: new TextEncoder().encode('{}') }]))
  await assert.not.throws(() => readBundleFolder(dir, { maxBytes: 5 }))
  try {
    await readBundleFolder(dir, { maxBytes: 4 })
    assert.unreachable()
  } catch (error) {
    assert.is((error as Error).name, 'BundleTooLargeError')
  }
})

test('a bundle folder with a symbolic link is refused', async () => {
  const dir = join(root, 'linked')
  await mkdir(dir)
  await writeFile(join(root, 'provider.key'), 'secret')
  await symlink(join(root, 'provider.key'), join(dir, 'key'))
  try {
    await readBundleFolder(dir)
    assert.unreachable()
  } catch (error) {
    assert.is((error as Error).name, 'UnsafeBundleFolderError')
  }
})

test('links a job leaves in its output are not followed into the result', async () => {
  const output = join(root, 'output')
  await mkdir(output)
  await writeFile(join(output, 'real.txt'), 'ok')
  await symlink(join(root, 'provider.key'), join(output, 'leak'))
  const { bundle, hash } = await resultBundle({ exitCode: 0, stdout: new Uint8Array(), stderr: new Uint8Array(), workDir: root, outputDir: output, usage: { wallMs: 1 } })
  assert.equal(bundle.files.map((file) => file.path), ['real.txt'])
  assert.match(hash, /^0x[0-9a-f]{64}$/)
})

test.run()
