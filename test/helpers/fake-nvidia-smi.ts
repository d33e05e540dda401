import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const script = fileURLToPath(new URL('./fake-nvidia-smi', import.meta.url))
const fixtures = fileURLToPath(new URL('../fixtures/nvidia-smi/', import.meta.url))

/** A PATH on which `nvidia-smi` is the stand-in script, and how to remove it. */
export type FakeNvidiaSmi = {
  /** An environment whose PATH finds the stand-in first, answering with `fixture`. */
  env: (fixture: string) => NodeJS.ProcessEnv
  remove: () => Promise<void>
}

/**
 * Puts the stand-in `nvidia-smi` (test/helpers/fake-nvidia-smi) on a PATH of
 * its own. The wrapper calls it through bash, so the script's file mode does not matter.
 *
 * @example
 * const fake = await installFakeNvidiaSmi()
 * await detectGpus({ env: fake.env('h100') })
 */
export async function installFakeNvidiaSmi(): Promise<FakeNvidiaSmi> {
  const dir = await mkdtemp(join(tmpdir(), 'allot-fake-nvidia-smi-'))
  const wrapper = join(dir, 'nvidia-smi')
  await writeFile(wrapper, `#!/bin/sh\nexec bash ${JSON.stringify(script)} "$@"\n`)
  await chmod(wrapper, 0o755)
  return {
    env: (fixture) => ({ PATH: `${dir}:/usr/bin:/bin`, FAKE_NVIDIA_SMI_FIXTURE: join(fixtures, `${fixture}.txt`) }),
    remove: () => rm(dir, { recursive: true, force: true }),
  }
}
