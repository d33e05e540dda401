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

/**
 * Every figure of a run, less the wall-clock ones (how long it took differs from run to run by design) and the
 * keepers' count of skips: how often a keeper weighs a target it then leaves alone depends on whether a second look
 * was asked for while the first still ran, not on anything it sends.
 */
async function figures(folder: string) {
  const written = JSON.parse(await readFile(join(folder, 'results.json'), 'utf8'))
  const { seconds: _s, ...run } = written
  type Activity = Record<string, { skipped?: number }>
  run.results = run.results.map(({ seconds: _r, keeperActivity, ...result }: { seconds: number; keeperActivity: Activity }) => ({
    ...result,
    keeperActivity: Object.fromEntries(Object.entries(keeperActivity).map(([name, { skipped: _k, ...activity }]) => [name, activity])),
  }))
  run.summaries = run.summaries.map(({ seconds: _r, ...summary }: { seconds: number }) => summary)
  return run
}

test('the same seeds give the same figures twice, keeper races included, whether their runs share a process or not', async () => {
  // Two runs at once in two processes: one runs both seeds side by side in one process (their keepers' requests
  // interleave), the other one after the other. A crash brought forward to the second hour with ten-minute blocks,
  // so that several keepers race for the same liquidations.
  const args = (out: string, parallel: number) =>
    ['cli/bin.js', 'sim', '--scenario', 'crash50', '--seeds', '2', '--first-seed', '3', '--days', '1', '--stress-at', '2', '--busy-block', '600', '--parallel', String(parallel), '--out', out, '--json']
  const [a, b] = await Promise.all([run(process.execPath, args(join(dir, 'a'), 2), { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 }), run(process.execPath, args(join(dir, 'b'), 1), { maxBuffer: 64 * 1024 * 1024, timeout: 600_000 })])
  const printed = [a!, b!].map(({ stdout }) => JSON.parse(stdout))
  assert.ok(printed[0].target.deals > 0, 'no deals')
  const [first, second] = await Promise.all([figures(join(dir, 'a')), figures(join(dir, 'b'))])
  for (const result of first.results) {
    assert.ok(result.liquidationDelays.length > 0, `seed ${result.seed}: nothing was liquidated, so nothing raced`)
    assert.ok(result.lostRaces > 0, `seed ${result.seed}: no keeper lost a race, so the test would not see race order change`)
  }
  assert.equal(second, first)
  assert.equal({ ...printed[1].target, seconds: 0 }, { ...printed[0].target, seconds: 0 })
})

test.run()
