import { readFile } from 'node:fs/promises'
import { SweepResumeError } from './errors.ts'
import type { SweepPoint } from './sweep.ts'

/** What makes two sweeps' runs comparable: the same scenarios, seeds and clock. */
export type SweepSettings = { scenarios: readonly string[]; seeds: number; days: number; stressAt: number; busyBlock: number }

/** The progress file's first line: the settings every set below it ran with. */
export const sweepSettingsLine = (settings: SweepSettings) => `${JSON.stringify({ settings })}\n`

/** One finished set, as a line of the progress file. */
export const sweepProgressLine = (point: SweepPoint) => `${JSON.stringify(point)}\n`

/**
 * Reads the sets an interrupted sweep finished, from its progress file (`sweep-points.jsonl`), so that `--resume`
 * runs only the rest. A missing file means nothing to resume.
 *
 * @throws SweepResumeError when the file was written by a sweep with other settings, or cannot be read.
 */
export async function readSweepProgress(path: string, settings: SweepSettings): Promise<SweepPoint[]> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw new SweepResumeError({ path, reason: 'it cannot be read', cause: error })
  }
  const [header, ...lines] = text.split('\n').filter((line) => line.trim() !== '')
  if (!header) return []
  let written: SweepSettings | undefined
  try {
    written = (JSON.parse(header) as { settings?: SweepSettings }).settings
    const points = lines.map((line) => JSON.parse(line) as SweepPoint)
    if (!written) throw new Error('no settings line')
    if (JSON.stringify(written) !== JSON.stringify(settings)) throw new SweepResumeError({ path, reason: `its sets ran with ${JSON.stringify(written)}, not ${JSON.stringify(settings)}` })
    return points
  } catch (error) {
    if (error instanceof SweepResumeError) throw error
    throw new SweepResumeError({ path, reason: 'it is not a sweep progress file (a settings line, then one set per line)', cause: error })
  }
}
