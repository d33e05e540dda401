import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import defaultMarket from '../../contracts/params/defaultMarket.json' with { type: 'json' }
import { allot } from './allotProcess.ts'

let dir: string

const sameAsDefault = (p: Record<string, unknown>) => Object.entries(defaultMarket).every(([k, v]) => p[k] === v)

test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'allot-sim-sweep-'))
})
test.after(async () => {
  await rm(dir, { recursive: true, force: true })
})

test('allot sim sweep runs the default market and its neighbours on the same seeds and recommends one by a printed rule', async () => {
  // One seed of a short crash per set: the command's shape, not its verdict (the README's run has the seeds for that).
  const { code, stdout, stderr } = await allot(['sim', 'sweep', '--seeds', '1', '--days', '1', '--stress-at', '2', '--busy-block', '1800', '--scenario', 'crash50', '--out', dir, '--json'])
  assert.is(code, 0, stderr)
  const printed = JSON.parse(stdout)
  assert.is(printed.points.length, 8, 'the focus grid is the default and seven neighbours')
  assert.ok(sameAsDefault(printed.points[0].parameters), 'the first set is not the default market of `allot chain dev`')
  assert.match(printed.rule, /95 % bootstrap upper bound/)
  assert.is(printed.recommendedIsDefault, sameAsDefault(printed.recommended))
  assert.ok(printed.points.some((p: { parameters: unknown }) => JSON.stringify(p.parameters) === JSON.stringify(printed.recommended)), 'the recommendation is not one of the sets')
  for (const p of printed.points) {
    assert.ok(p.pooledShortfallUpperPct >= p.pooledShortfallPct, `${p.label}: bound below the estimate`)
    assert.is(p.honestSlashed, 0, p.label)
  }
  const sweep = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8'))
  for (const p of sweep.points) assert.equal(p.runs.map((r: { scenario: string; seed: number }) => `${r.scenario}/${r.seed}`), ['crash50/1'])
  const [header, ...sets] = (await readFile(join(dir, 'sweep-points.jsonl'), 'utf8')).trim().split('\n')
  assert.equal(JSON.parse(header!).settings, { scenarios: ['crash50'], seeds: 1, days: 1, stressAt: 7_200, busyBlock: 1_800 })
  assert.is(sets.length, 8, 'not every set was written as it finished')
})

test('allot sim sweep --resume takes the finished sets instead of running them again, and refuses other settings', async () => {
  const before = JSON.parse(await readFile(join(dir, 'sweep.json'), 'utf8'))
  const again = await allot(['sim', 'sweep', '--seeds', '1', '--days', '1', '--stress-at', '2', '--busy-block', '1800', '--scenario', 'crash50', '--out', dir, '--resume', '--json'])
  assert.is(again.code, 0, again.stderr)
  const printed = JSON.parse(again.stdout)
  assert.is(printed.reused, 8)
  assert.equal(printed.recommended, before.recommended.parameters)
  const other = await allot(['sim', 'sweep', '--seeds', '2', '--days', '1', '--stress-at', '2', '--busy-block', '1800', '--scenario', 'crash50', '--out', dir, '--resume', '--json'])
  assert.is(other.code, 1)
  const error = JSON.parse(other.stdout || other.stderr).error
  assert.is(error.name, 'SweepResumeError')
  assert.match(error.message, /"seeds":1/)
})

test('allot sim report includes the sweep: its table, rule and frontier', async () => {
  const { code, stdout, stderr } = await allot(['sim', 'report', '--out', dir, '--json'])
  assert.is(code, 0, stderr)
  const printed = JSON.parse(stdout)
  const figures = JSON.parse(await readFile(printed.json, 'utf8'))
  assert.is(figures.sweep.points.length, 8)
  assert.ok(figures.sweep.points.some((p: { onFrontier: boolean }) => p.onFrontier))
  const html = await readFile(printed.html, 'utf8')
  assert.match(html, /<h2>Parameter sweep<\/h2>/)
  assert.match(html, /95 % upper bound/)
})

test.run()
