import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  BaseError,
  decodeMessage,
  encodeMessage,
  MAX_MESSAGE_BYTES,
  type MalformedMessageError,
  type MessageTooLargeError,
  messageTypeCodes,
  type SchemaError,
  topicMessageTypes,
  type UnknownMessageTypeError,
  type UnsupportedVersionError,
} from '../../protocol/index.ts'
import { canonicalJson, canonicalStringify, toJsonValue } from '../../protocol/codec/canonicalJson.ts'
import { throwsNamed } from './fixtures.ts'
import { sampleMessages, signedAsk, signedBid } from './messageSamples.ts'

const test = suite('codec')

const utf8 = (text: string) => new TextEncoder().encode(text)
const envelope = (type: number, payload: string | Uint8Array, version = 1) => {
  const body = typeof payload === 'string' ? utf8(payload) : payload
  return Uint8Array.from([version, type, ...body])
}
const payloadOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes.subarray(2))
/** Re-encodes a message after editing its JSON payload. */
const edit = (bytes: Uint8Array, change: (json: any) => void) => {
  const json = JSON.parse(payloadOf(bytes))
  change(json)
  return envelope(bytes[1]!, JSON.stringify(json))
}

test('every message type round-trips to an equal value and identical bytes', async () => {
  const messages = await sampleMessages()
  assert.equal(new Set(messages.map((m) => m.type)), new Set(Object.keys(messageTypeCodes)))
  for (const message of messages) {
    const bytes = encodeMessage(message)
    assert.is(bytes[0], 1)
    assert.is(bytes[1], messageTypeCodes[message.type])
    const decoded = decodeMessage(bytes)
    assert.equal(decoded, message, message.type)
    assert.equal(encodeMessage(decoded), bytes, message.type)
  }
})

test('the payload is canonical JSON: sorted keys, no spaces, bigints as strings, bytes as base64', async () => {
  const bytes = encodeMessage({ type: 'log-entry', body: { seq: 3, stream: 'stdout', data: Uint8Array.from([1, 2, 3]) } })
  assert.is(payloadOf(bytes), '{"data":"AQID","seq":3,"stream":"stdout"}')
  const proposal = encodeMessage({
    type: 'deal-proposal',
    body: { bid: await signedBid(), askHash: `0x${'00'.repeat(32)}`, price: 10n ** 30n, collateral: 0n },
  })
  const text = payloadOf(proposal)
  assert.ok(text.startsWith('{"askHash":"0x00'))
  assert.ok(text.includes('"collateral":"0","price":"1000000000000000000000000000000"'))
  assert.not.match(text, /\s/)
})

test('the one-pass canonical encoder writes what the JSON form does, for every message type and odd values', async () => {
  const odd = [
    { z: -0, 'é': 'line\nbreak "quoted" \u2028 \ud83d\ude00', a: [[], {}, [1n, 2]], m: undefined, b: Uint8Array.from([255, 0]) },
    [true, false, 'x'],
    Number.MAX_SAFE_INTEGER,
  ]
  for (const value of [...(await sampleMessages()).map((message) => message.body), ...odd]) assert.is(canonicalJson(value), canonicalStringify(toJsonValue(value)))
  for (const bad of [1.5, null, [undefined], () => 1]) {
    assert.throws(() => canonicalJson(bad))
    assert.throws(() => canonicalStringify(toJsonValue(bad)))
  }
})

test('encoding lowercases hex, so mixed-case input still gives the canonical bytes', async () => {
  const ask = await signedAsk()
  const upper = { ...ask, market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' as const, signature: ask.signature.toUpperCase().replace('0X', '0x') as `0x${string}` }
  assert.equal(encodeMessage({ type: 'ask', body: upper }), encodeMessage({ type: 'ask', body: ask }))
})

test('encoding checks the schema and names the failing field', async () => {
  const ask = await signedAsk()
  const bad = { ...ask, ask: { ...ask.ask, free: { ...ask.ask.free, cpuMillicores: 10 ** 9 } } }
  const error = throwsNamed<SchemaError>(() => encodeMessage({ type: 'ask', body: bad }), 'SchemaError')
  assert.is(error.path, 'ask.free.cpuMillicores')
  assert.is(error.type, 'ask')
})

test('encoding refuses a message over 8 KiB', async () => {
  const ask = await signedAsk()
  const error = throwsNamed<MessageTooLargeError>(
    () => encodeMessage({ type: 'sync-response', body: { asks: Array(10).fill(ask), bids: [], cancels: [] } }),
    'MessageTooLargeError',
  )
  assert.ok(error.size > MAX_MESSAGE_BYTES)
  assert.is(error.maxSize, 8192)
})

test('encoding refuses values JSON cannot carry exactly', () => {
  assert.throws(() => encodeMessage({ type: 'job-request', body: { jobHash: `0x${'00'.repeat(32)}`, offset: 0.5 } }))
})

test('decode: over 8 KiB is MessageTooLargeError, checked before anything else', () => {
  const error = throwsNamed<MessageTooLargeError>(() => decodeMessage(new Uint8Array(8193)), 'MessageTooLargeError')
  assert.is(error.size, 8193)
  assert.instance(error, BaseError)
})

test('decode: exactly 8 KiB is not refused for its size', () => {
  const bytes = envelope(0x31, `{"offset":0,"total":0}${' '.repeat(8192 - 24)}`)
  assert.is(bytes.length, 8192)
  throwsNamed(() => decodeMessage(bytes), 'MalformedMessageError') // trailing spaces: not canonical
})

test('decode: shorter than the envelope is malformed', () => {
  throwsNamed(() => decodeMessage(new Uint8Array()), 'MalformedMessageError')
  throwsNamed(() => decodeMessage(Uint8Array.from([1])), 'MalformedMessageError')
})

test('decode: unknown version byte', async () => {
  const bytes = encodeMessage((await sampleMessages())[0]!)
  for (const version of [0, 2, 255]) {
    const copy = bytes.slice()
    copy[0] = version
    const error = throwsNamed<UnsupportedVersionError>(() => decodeMessage(copy), 'UnsupportedVersionError')
    assert.is(error.version, version)
  }
})

test('decode: unknown type byte', () => {
  for (const code of [0x00, 0x04, 0x12, 0x99, 0xff]) {
    const error = throwsNamed<UnknownMessageTypeError>(() => decodeMessage(envelope(code, '{}')), 'UnknownMessageTypeError')
    assert.is(error.code, code)
  }
})

test('decode: a type the caller does not accept here', async () => {
  const bid = encodeMessage({ type: 'bid', body: await signedBid() })
  throwsNamed(() => decodeMessage(bid, { accept: topicMessageTypes.asks }), 'UnexpectedMessageTypeError')
  const message = decodeMessage(bid, { accept: topicMessageTypes.bids })
  assert.is(message.type, 'bid')
  // The accepted types narrow the result: only a bid can come back here.
  assert.is(message.body.bid.nonce, 7)
})

test('decode: garbage, invalid UTF-8, empty payload', () => {
  const random = Uint8Array.from({ length: 200 }, (_, i) => (i * 131 + 7) % 256)
  throwsNamed(() => decodeMessage(envelope(0x01, random)), 'MalformedMessageError')
  throwsNamed(() => decodeMessage(envelope(0x01, Uint8Array.from([0x7b, 0xc3, 0x28, 0x7d]))), 'MalformedMessageError')
  throwsNamed(() => decodeMessage(envelope(0x01, '')), 'MalformedMessageError')
  throwsNamed(() => decodeMessage(envelope(0x01, 'not json')), 'MalformedMessageError')
})

test('decode: every truncation of a valid message is rejected', async () => {
  const bytes = encodeMessage({ type: 'bid', body: await signedBid() })
  for (let length = 0; length < bytes.length; length++) {
    assert.throws(
      () => decodeMessage(bytes.subarray(0, length)),
      (error: Error) => ['MalformedMessageError', 'SchemaError'].includes(error.name),
      `length ${length}`,
    )
  }
})

test('decode: schema failures name the path', async () => {
  const ask = encodeMessage({ type: 'ask', body: await signedAsk() })
  const cases: [(json: any) => void, string][] = [
    [(j) => (j.ask.free.gpus[0].count = '4'), 'ask.free.gpus[0].count'],
    [(j) => (j.ask.free.gpus[1].count = 5), 'ask.free.gpus[1].count'],
    [(j) => delete j.signature, 'signature'],
    [(j) => (j.signature = '0x1234'), 'signature'],
    [(j) => (j.ask.provider = 'alice'), 'ask.provider'],
    [(j) => (j.ask.prices.cpu = '007'), 'ask.prices.cpu'],
    [(j) => (j.ask.prices.memory = (2n ** 128n).toString()), 'ask.prices.memory'],
    [(j) => (j.ask.prices.gpus[0].price = 5), 'ask.prices.gpus[0].price'],
    [(j) => (j.ask.runtimes = ['wasm', 'vm']), 'ask.runtimes[1]'],
    [(j) => (j.ask.runtimes = ['wasm', 'wasm']), 'ask.runtimes'],
    [(j) => (j.ask.runtimes = []), 'ask.runtimes'],
    [(j) => (j.ask.capacity.gpus[0].model = 'NVIDIA H100'), 'ask.capacity.gpus[0].model'],
    [(j) => (j.ask.expiry = 2 ** 48), 'ask.expiry'],
    [(j) => (j.ask.expiry = j.ask.createdAt), 'ask.expiry'],
    [(j) => (j.ask.minDuration = j.ask.maxDuration + 1), 'ask.minDuration'],
    [(j) => (j.ask.minDuration = 0), 'ask.minDuration'],
    [(j) => (j.ask.free.diskMiB = j.ask.capacity.diskMiB + 1), 'ask.free.diskMiB'],
    [(j) => (j.ask.free.gpus[0].vramMiB = 1), 'ask.free.gpus[0].vramMiB'],
    [(j) => (j.ask.free.gpus[0].model = 'amd-mi300x'), 'ask.free.gpus[0].model'],
    [(j) => j.ask.prices.gpus.pop(), 'ask.capacity.gpus[1].model'],
    [(j) => j.ask.prices.gpus.push({ model: 'amd-mi300x', price: '1' }), 'ask.prices.gpus[2].model'],
    [(j) => j.ask.capacity.gpus.push(j.ask.capacity.gpus[0]), 'ask.capacity.gpus[2].model'],
    [(j) => (j.ask.peerId = ''), 'ask.peerId'],
    [(j) => (j.ask.extra = 1), 'ask'],
    [(j) => (j.chainId = 0), 'chainId'],
  ]
  for (const [change, path] of cases) {
    const error = throwsNamed<SchemaError>(() => decodeMessage(edit(ask, change)), 'SchemaError')
    assert.is(error.path, path, `${change}`)
    assert.ok(error.shortMessage.includes(path), error.shortMessage)
  }
})

test('decode: schema failures in stream messages', async () => {
  const cases: [number, unknown, string][] = [
    [0x10, { book: 'orders', chainId: 1, limit: 1, market: `0x${'00'.repeat(20)}` }, 'book'],
    [0x10, { book: 'asks', chainId: 1, limit: 65, market: `0x${'00'.repeat(20)}` }, 'limit'],
    [0x10, { book: 'asks', chainId: 1, cursor: 'a b', limit: 1, market: `0x${'00'.repeat(20)}` }, 'cursor'],
    [0x22, { reason: 'bored' }, 'reason'],
    [0x22, { detail: 'x'.repeat(257), reason: 'busy' }, 'detail'],
    [0x31, { offset: 4, total: 3 }, 'offset'],
    [0x41, { offset: -1, total: 3 }, 'offset'],
    [0x61, { data: 'AQI', seq: 0, stream: 'stdout' }, 'data'],
    [0x61, { data: btoaBytes(4097), seq: 0, stream: 'stdout' }, 'data'],
    [0x61, { data: 'AQID', seq: 0, stream: 'stdin' }, 'stream'],
    [0x30, { jobHash: '0x12', offset: 0 }, 'jobHash'],
    [0x50, { reason: 'gone' }, 'reason'],
  ]
  for (const [code, body, path] of cases) {
    const error = throwsNamed<SchemaError>(() => decodeMessage(envelope(code, JSON.stringify(body))), 'SchemaError')
    assert.is(error.path, path, JSON.stringify(body).slice(0, 60))
  }
})

function btoaBytes(length: number): string {
  return btoa(String.fromCharCode(...new Uint8Array(length)))
}

test('decode: accepted JSON that is not the canonical spelling is malformed', async () => {
  const bytes = encodeMessage({ type: 'job-request', body: { jobHash: `0x${'ab'.repeat(32)}`, offset: 1000 } })
  const canonical = payloadOf(bytes)
  const spellings = [
    canonical.replace('{', '{ '),
    `{"offset":1000,"jobHash":"0x${'ab'.repeat(32)}"}`,
    canonical.replace('1000', '1e3'),
    canonical.replace('1000', '1000.0'),
    canonical.replace('0xabab', '0xABab'),
    canonical.replace('"jobHash"', '"job\\u0048ash"'),
    `${canonical}\n`,
    `\uFEFF${canonical}`,
    canonical.replace('{', `{"offset":1,`),
  ]
  for (const spelling of spellings) {
    const error = throwsNamed<MalformedMessageError>(() => decodeMessage(envelope(0x30, spelling)), 'MalformedMessageError')
    assert.instance(error, BaseError)
  }
  const entry = envelope(0x61, '{"data":"AR==","seq":0,"stream":"stderr"}')
  throwsNamed(() => decodeMessage(entry), 'MalformedMessageError') // should be "AQ=="
  assert.is(decodeMessage(envelope(0x61, '{"data":"AQ==","seq":0,"stream":"stderr"}')).type, 'log-entry')
  throwsNamed(() => decodeMessage(envelope(0x31, '{"offset":2,"total":1}')), 'SchemaError')
})

test('decode errors say what is wrong in a short message', () => {
  const error = throwsNamed<MalformedMessageError>(() => decodeMessage(envelope(0x01, 'nope')), 'MalformedMessageError')
  assert.is(error.shortMessage, 'Malformed message: payload is not valid JSON.')
  assert.ok(error.cause instanceof SyntaxError)
})

test.run()
