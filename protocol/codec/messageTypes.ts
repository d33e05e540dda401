import type { MessageType } from '../types/messages.ts'

/** The envelope's type byte for each message. */
export const messageTypeCodes = {
  ask: 0x01,
  bid: 0x02,
  'ask-cancel': 0x03,
  'sync-request': 0x10,
  'sync-response': 0x11,
  'deal-proposal': 0x20,
  'deal-accept': 0x21,
  'deal-decline': 0x22,
  'job-request': 0x30,
  'job-header': 0x31,
  'result-request': 0x40,
  'result-header': 0x41,
  'fetch-error': 0x50,
  'logs-request': 0x60,
  'log-entry': 0x61,
} as const satisfies Record<MessageType, number>

/** Message type name by type byte. */
export const messageTypeByCode: ReadonlyMap<number, MessageType> = new Map(
  Object.entries(messageTypeCodes).map(([type, code]) => [code, type as MessageType]),
)
