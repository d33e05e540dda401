import type { Connection, Stream } from '@libp2p/interface'
import { stat } from 'node:fs/promises'
import { FetchErrorReason } from '../../protocol/types/messages.ts'
import { messageStream } from '../p2p/messageStream.ts'
import { serveBundle } from '../transfer/serveBundle.ts'
import { transferMetrics } from '../transfer/metrics.ts'
import type { ProviderContext } from './context.ts'

const servable = new Set(['finished', 'committed', 'delivered', 'settled'])

/** `/allot/result/1.0.0`: the deal's client, and only it, fetches the result bundle. */
export async function handleResultRequest(context: ProviderContext, stream: Stream, connection: Connection): Promise<void> {
  const ms = messageStream(stream)
  const signal = context.signal
  try {
    const { body } = await ms.read(['result-request'], { signal })
    const record = await context.records.get(body.dealId)
    if (!record || !servable.has(record.state)) {
      await ms.write({ type: 'fetch-error', body: { reason: FetchErrorReason.NotFound, detail: record ? `deal is ${record.state}` : 'unknown deal' } })
      return
    }
    if (record.clientPeer !== connection.remotePeer.toString()) {
      await ms.write({ type: 'fetch-error', body: { reason: FetchErrorReason.NotAuthorized } })
      return
    }
    const path = context.paths.result(record.dealId)
    await serveBundle(ms, { kind: 'result', path, offset: body.offset, signal })
    transferMetrics(context.registry).bytes.inc({ direction: 'sent', kind: 'result' }, Math.max(0, (await stat(path)).size - body.offset))
    if (record.state === 'committed') await context.records.update(record.dealId, { state: 'delivered' })
  } catch (error) {
    context.log.error('result request failed: %O', error)
    stream.abort(error as Error)
  } finally {
    await ms.close().catch(() => {})
  }
}

/** `/allot/logs/1.0.0`: the deal's client follows the job's output while it runs. */
export async function handleLogsRequest(context: ProviderContext, stream: Stream, connection: Connection): Promise<void> {
  const ms = messageStream(stream)
  const signal = AbortSignal.any([context.signal])
  try {
    const { body } = await ms.read(['logs-request'], { signal })
    const record = await context.records.get(body.dealId)
    if (!record || record.clientPeer !== connection.remotePeer.toString()) {
      await ms.write({ type: 'fetch-error', body: { reason: record ? FetchErrorReason.NotAuthorized : FetchErrorReason.NotFound } })
      return
    }
    if (!context.logs.has(body.dealId) && record.state !== 'accepted' && record.state !== 'running') return
    for await (const entry of context.logs.follow(body.dealId, body.from, signal)) await ms.write({ type: 'log-entry', body: entry }, { signal })
  } catch (error) {
    context.log('logs stream ended: %s', (error as Error).message)
  } finally {
    await ms.close().catch(() => {})
  }
}
