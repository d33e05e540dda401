import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { test } from 'uvu'
import * as assert from 'uvu/assert'

const run = promisify(execFile)
let dir: string

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allot-sim-determinism-'))
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** Every figure of a run, less the wall-clock ones (how long it took differs from run to run by design). */
async function figures(folder: string) {
  const written = JSON.parse(await readFile(join(folder, 'results.json'), 'utf8'))
  const { seconds: _s, ...run } = written
  run.results = run.results.map(({ seconds: _r, ...result }: { seconds: number }) => result)
  run.summaries = run.summaries.map(({ seconds: _r, ...summary }: { seconds: number }) => summary)
  return run
}

test('the same seed gives the same figures twice, keeper races included', async () => {
  // Two runs at once, each its own process and anvil, so that they also meet different load: a crash brought forward
  // to the second hour with ten-minute blocks, so that several keepers race for the same liquidations.
  const args = (out: string) => ['cli/bin.js', 'sim', '--scenario', 'crash50', '--seeds', '1', '--first-seed', '3', '--days', '1', '--stress-at', '2', '--busy-block', '600', '--parallel', '1', '--out', out, '--json']
  const [a, b] = await Promise.all(['a', 'b'].map((name) => run(process.execPath, args(join(dir, name)), { maxBuffer: 64 * 1024 * 1024, timeout: 400_000 })))
  const printed = [a!, b!].map(({ stdout }) => JSON.parse(stdout))
  assert.ok(printed[0].target.deals > 0, 'no deals')
  const [first, second] = await Promise.all([figures(join(dir, 'a')), figures(join(dir, 'b'))])
  const result = first.results[0]
  assert.ok(result.liquidationDelays.length > 0, 'nothing was liquidated, so nothing raced')
  assert.ok(result.lostRaces > 0, 'no keeper lost a race: the test would not see race order change')
  assert.equal(second, first)
  assert.equal({ ...printed[1].target, seconds: 0 }, { ...printed[0].target, seconds: 0 })
})

test.run()
