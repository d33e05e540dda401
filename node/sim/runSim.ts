import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { UnknownScenarioError } from './errors.ts'
import type { SimMarketParameters } from './marketAdapter.ts'
import { runScenario, type SeedResult } from './runScenario.ts'
import { scenarioNames, scenarios } from './scenarios.ts'
import { summarize, type ScenarioSummary } from './summarize.ts'

export type RunSimOptions = {
  scenarios: readonly string[]
  seeds: number
  /** First seed; seeds are firstSeed, firstSeed + 1, … */
  firstSeed?: number
  days: number
  parameters: SimMarketParameters
  demandPerDay?: number
  /** Seeds run at once (each on its own anvil). */
  parallel?: number
  checkEvery?: number
  /** Stress start (seconds after the start) and block spacing in the stress; see `runScenario`. */
  stressAt?: number
  busyBlock?: number
  /** Keep per-block series of the first seed of each scenario (for the report). */
  series?: boolean
  onProgress?: (text: string) => void
  signal?: AbortSignal
}

export type SimRun = {
  parameters: SimMarketParameters
  summaries: ScenarioSummary[]
  results: SeedResult[]
  seconds: number
}

/**
 * Runs every named scenario over `seeds` seeds and summarizes each.
 *
 * @throws UnknownScenarioError for a name not in `scenarios`.
 */
export async function runSim(options: RunSimOptions): Promise<SimRun> {
  for (const name of options.scenarios) if (!scenarios[name]) throw new UnknownScenarioError({ name, known: scenarioNames })
  const started = Date.now()
  const first = options.firstSeed ?? 1
  const jobs = options.scenarios.flatMap((name) => Array.from({ length: options.seeds }, (_, i) => ({ name, seed: first + i })))
  const results: SeedResult[] = new Array(jobs.length)
  let next = 0
  const worker = async () => {
    while (next < jobs.length) {
      const index = next++
      const { name, seed } = jobs[index]!
      options.signal?.throwIfAborted()
      results[index] = await runScenario({
        scenario: scenarios[name]!,
        seed,
        parameters: options.parameters,
        days: options.days,
        demandPerDay: options.demandPerDay,
        checkEvery: options.checkEvery,
        stressAt: options.stressAt,
        busyBlock: options.busyBlock,
        series: (options.series ?? false) && seed === first,
        onProgress: options.onProgress,
        signal: options.signal,
      })
      options.onProgress?.(`${name} seed ${seed}: ${results[index]!.dealsOpened} deals in ${results[index]!.seconds.toFixed(0)} s`)
    }
  }
  await Promise.all(Array.from({ length: Math.max(1, options.parallel ?? 1) }, worker))
  const summaries = options.scenarios.map((name) => summarize(results.filter((r) => r.scenario === name)))
  return { parameters: options.parameters, summaries, results, seconds: (Date.now() - started) / 1000 }
}

/** Writes `results.json` (every figure, every seed, the series) into `folder`. */
export async function writeSimResults(folder: string, run: SimRun): Promise<string> {
  await mkdir(folder, { recursive: true })
  const path = join(folder, 'results.json')
  await writeFile(path, `${JSON.stringify(run, (_k, v) => (typeof v === 'bigint' ? v.toString() : v), 1)}\n`)
  return path
}
