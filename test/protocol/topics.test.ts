import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  DEAL_PROTOCOL,
  JOB_PROTOCOL,
  LOGS_PROTOCOL,
  marketTopics,
  normalizeGpuModel,
  protocolMessageTypes,
  RESULT_PROTOCOL,
  SYNC_PROTOCOL,
  topicMessageTypes,
} from '../../protocol/index.ts'

const test = suite('topics')

test('topics carry the protocol version, chain id and lowercase market address', () => {
  const topics = marketTopics({ chainId: 31337, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' })
  assert.equal(topics, {
    asks: '/allot/1/31337/0x5fbdb2315678afecb367f032d93f642f64180aa3/asks',
    bids: '/allot/1/31337/0x5fbdb2315678afecb367f032d93f642f64180aa3/bids',
  })
  assert.is.not(marketTopics({ chainId: 1, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }).asks, topics.asks)
})

test('stream protocol ids', () => {
  assert.is(DEAL_PROTOCOL, '/allot/deal/1.0.0')
  assert.is(SYNC_PROTOCOL, '/allot/sync/1.0.0')
  assert.is(JOB_PROTOCOL, '/allot/job/1.0.0')
  assert.is(RESULT_PROTOCOL, '/allot/result/1.0.0')
  assert.is(LOGS_PROTOCOL, '/allot/logs/1.0.0')
})

test('each message type belongs to exactly one topic or stream direction', () => {
  const all = [
    ...Object.values(topicMessageTypes).flat(),
    ...Object.values(protocolMessageTypes).flatMap((p) => [...p.request, ...p.response]),
  ]
  // fetch-error answers job, result and logs requests; nothing else repeats.
  assert.is(all.filter((t) => t === 'fetch-error').length, 3)
  assert.is(new Set(all).size, all.length - 2)
  assert.is(new Set(all).size, 15)
})

test('GPU names normalize to lowercase words joined by "-"', () => {
  assert.is(normalizeGpuModel('NVIDIA H100 80GB HBM3'), 'nvidia-h100-80gb-hbm3')
  assert.is(normalizeGpuModel('  NVIDIA GeForce RTX 4090 '), 'nvidia-geforce-rtx-4090')
  assert.is(normalizeGpuModel('Tesla_V100-SXM2-16GB'), 'tesla-v100-sxm2-16gb')
  assert.is(normalizeGpuModel('nvidia-h100-80gb'), 'nvidia-h100-80gb')
})

test.run()
