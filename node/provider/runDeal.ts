import { readFile, rm } from 'node:fs/promises'
import type { Hex } from 'viem'
import { encodeResultBundle } from '../../protocol/job/encodeResultBundle.ts'
import { hashResultBundle } from '../../protocol/job/hashResultBundle.ts'
import { validateJobBundle } from '../../protocol/job/validateJobBundle.ts'
import { decodeJobBundle } from '../../protocol/job/decodeJobBundle.ts'
import { commitResult } from '../chain/actions/commitResult.ts'
import { chainClockOffset } from '../chain/chainNow.ts'
import { readBundleFolder } from '../runtime/readBundleFolder.ts'
import { writeFileAtomic } from '../store/writeFileAtomic.ts'
import type { ProviderContext } from './context.ts'
import type { JobRecord } from './jobRecords.ts'
import { jobOutcome } from './metrics.ts'
import { formatFailureNote } from '../../protocol/job/failureNote.ts'

/**
 * Runs an opened deal's job to a committed result: accepted → running → finished
 * → committed. Each step is recorded before the next begins, so a provider killed
 * anywhere resumes at the step it was in: it reruns a job whose deadline still
 * allows, and never serves a result it has not finished writing.
 */
export async function runDeal(context: ProviderContext, dealId: Hex): Promise<void> {
  let record = await context.records.get(dealId)
  if (!record) return
  // The deadline is chain time; this machine's clock may differ from it.
  const deadlineMs = (Number(record.terms.deadline) - (await chainClockOffset(context.clients))) * 1000
  if (record.state === 'accepted' || record.state === 'running') record = await execute(context, record, deadlineMs)
  if (record.state === 'finished') {
    if (Date.now() >= deadlineMs) {
      await context.records.update(dealId, { state: 'failed', failure: 'deadline passed before the result was committed' })
      context.counters.failed += 1
      context.emit({ kind: 'failed', dealId, reason: 'its deadline passed before the result was committed' })
      return
    }
    const { hash } = await commitResult(context.clients, { deployment: context.deployment, dealId, resultHash: record.resultHash!, signal: context.signal })
    record = await context.records.update(dealId, { state: 'committed' })
    context.emit({ kind: 'committed', dealId, resultHash: record.resultHash!, exitCode: record.exitCode, hash })
    context.counters.done += 1
    context.log('committed result %s for deal %s', record.resultHash, dealId)
    void context.refreshBacking()
  }
}

async function execute(context: ProviderContext, record: JobRecord, deadlineMs: number): Promise<JobRecord> {
  const { dealId, terms } = record
  if (Date.now() >= deadlineMs) {
    context.ledger.release(dealId)
    context.counters.failed += 1
    context.emit({ kind: 'failed', dealId, reason: 'its deadline passed before the job could run' })
    return context.records.update(dealId, { state: 'failed', failure: 'deadline passed before the job could run' })
  }
  const files = decodeJobBundle(await readFile(context.paths.jobBundle(terms.jobHash)))
  const manifest = validateJobBundle(files)
  const runtime = context.runtimes[manifest.runtime]!
  // After a restart the in-memory reservation is gone: take it again for the job's run.
  const reservation = context.ledger.get(dealId) ?? context.ledger.reserve(dealId, manifest.resources, deadlineMs)
  context.ledger.hold(dealId, deadlineMs)
  record = await context.records.update(dealId, { state: 'running', attempts: record.attempts + 1 })
  context.counters.running += 1
  context.log('running deal %s (%s job, attempt %d)', dealId, manifest.runtime, record.attempts)
  context.emit({ kind: 'running', dealId, runtime: manifest.runtime, attempt: record.attempts })
  const timeout = AbortSignal.timeout(Math.max(1, deadlineMs - Date.now()))
  const timer = context.metrics.jobSeconds.startTimer({ runtime: manifest.runtime })
  let result: Awaited<ReturnType<typeof runtime.run>> | undefined
  try {
    result = await runtime.run(
      { id: dealId, manifest, bundleDir: context.paths.jobFiles(terms.jobHash), gpus: reservation.gpus },
      { signal: AbortSignal.any([context.signal, timeout]), onLog: (log) => context.logs.append(dealId, log.stream, log.data) },
    )
    context.signal.throwIfAborted()
    // Links a job leaves in its output are skipped, never followed.
    const outputs = await readBundleFolder(result.outputDir, { onSpecial: 'skip' })
    const failureNote = result.failure ? new TextEncoder().encode(formatFailureNote(result.failure)) : new Uint8Array()
    const bundle = {
      exitCode: result.exitCode,
      stdout: result.stdout,
      stderr: new Uint8Array([...result.stderr, ...failureNote]),
      files: outputs,
    }
    await writeFileAtomic(context.paths.result(dealId), encodeResultBundle(bundle))
    await rm(result.workDir, { recursive: true, force: true }).catch(() => {})
    return await context.records.update(dealId, {
      state: 'finished',
      resultHash: hashResultBundle(bundle),
      exitCode: result.exitCode,
      ...(result.failure ? { failure: result.failure.name } : {}),
    })
  } finally {
    timer()
    context.metrics.jobs.inc({ runtime: manifest.runtime, outcome: jobOutcome(result) })
    context.counters.running -= 1
    context.logs.end(dealId)
    context.ledger.release(dealId)
  }
}
