import type { MessageType } from './types/messages.ts'

/** Deal negotiation: proposal from the client, accept or decline from the provider. */
export const DEAL_PROTOCOL = '/allot/deal/1.0.0'

/** Book sync: page requests from a joining node, pages back. */
export const SYNC_PROTOCOL = '/allot/sync/1.0.0'

/** Job fetch: the provider pulls the job bundle from the client. */
export const JOB_PROTOCOL = '/allot/job/1.0.0'

/** Result fetch: the client pulls the result bundle from the provider. */
export const RESULT_PROTOCOL = '/allot/result/1.0.0'

/** Live logs: the client follows a running job's output. */
export const LOGS_PROTOCOL = '/allot/logs/1.0.0'

/** The message types each stream protocol carries, in either direction (pass to `decodeMessage`'s `accept`). */
export const protocolMessageTypes = {
  [DEAL_PROTOCOL]: { request: ['deal-proposal'], response: ['deal-accept', 'deal-decline'] },
  [SYNC_PROTOCOL]: { request: ['sync-request'], response: ['sync-response'] },
  [JOB_PROTOCOL]: { request: ['job-request'], response: ['job-header', 'fetch-error'] },
  [RESULT_PROTOCOL]: { request: ['result-request'], response: ['result-header', 'fetch-error'] },
  [LOGS_PROTOCOL]: { request: ['logs-request'], response: ['log-entry', 'fetch-error'] },
} as const satisfies Record<string, { request: readonly MessageType[]; response: readonly MessageType[] }>
