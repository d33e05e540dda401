import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import {
  decodeFrame,
  decodeMessage,
  decodeUvarint,
  encodeFrame,
  encodeMessage,
  encodeUvarint,
  type MessageTooLargeError,
} from '../../protocol/index.ts'
import { throwsNamed } from './fixtures.ts'

const test = suite('frame')

test('uvarint round-trips and matches the multiformats spelling', () => {
  const known: [number, number[]][] = [
    [0, [0x00]],
    [1, [0x01]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [255, [0xff, 0x01]],
    [300, [0xac, 0x02]],
    [8192, [0x80, 0x40]],
    [16_384, [0x80, 0x80, 0x01]],
    [2 ** 28 - 1, [0xff, 0xff, 0xff, 0x7f]],
  ]
  for (const [value, bytes] of known) {
    assert.equal([...encodeUvarint(value)], bytes, String(value))
    assert.equal(decodeUvarint(Uint8Array.from([...bytes, 0xaa])), { value, bytesRead: bytes.length })
  }
})

test('uvarint refuses negative, fractional and too-large values', () => {
  for (const value of [-1, 1.5, 2 ** 28]) assert.throws(() => encodeUvarint(value))
})

test('uvarint: incomplete input asks for more; over-long and non-minimal input is malformed', () => {
  assert.is(decodeUvarint(new Uint8Array()), undefined)
  assert.is(decodeUvarint(Uint8Array.from([0x80, 0x80])), undefined)
  throwsNamed(() => decodeUvarint(Uint8Array.from([0x80, 0x80, 0x80, 0x80, 0x01])), 'MalformedMessageError')
  throwsNamed(() => decodeUvarint(Uint8Array.from([0x81, 0x00])), 'MalformedMessageError')
})

test('a frame is the uvarint length then the message', () => {
  const message = encodeMessage({ type: 'fetch-error', body: { reason: 'internal' } })
  const frame = encodeFrame(message)
  assert.is(frame[0], message.length)
  assert.equal(frame.subarray(1), message)
  const decoded = decodeFrame(frame)!
  assert.equal(decoded.message, message)
  assert.is(decoded.bytesRead, frame.length)
  assert.equal(decodeMessage(decoded.message), { type: 'fetch-error', body: { reason: 'internal' } })
})

test('frames are read one at a time from a buffer holding several, and partial ones wait', () => {
  const a = encodeFrame(encodeMessage({ type: 'job-request', body: { jobHash: `0x${'01'.repeat(32)}`, offset: 0 } }))
  const b = encodeFrame(encodeMessage({ type: 'log-entry', body: { seq: 0, stream: 'stdout', data: new Uint8Array(300) } }))
  const buffer = Uint8Array.from([...a, ...b])
  const first = decodeFrame(buffer)!
  assert.is(decodeMessage(first.message).type, 'job-request')
  const rest = buffer.subarray(first.bytesRead)
  for (let length = 0; length < rest.length; length++) assert.is(decodeFrame(rest.subarray(0, length)), undefined)
  assert.is(decodeMessage(decodeFrame(rest)!.message).type, 'log-entry')
})

test('an oversized declared length is refused before its body arrives', () => {
  const error = throwsNamed<MessageTooLargeError>(() => decodeFrame(Uint8Array.from([0x81, 0x40])), 'MessageTooLargeError')
  assert.is(error.size, 8193)
  assert.ok(decodeFrame(Uint8Array.from([0x80, 0x40])) === undefined) // 8192: allowed, waits for the body
  throwsNamed(() => encodeFrame(new Uint8Array(8193)), 'MessageTooLargeError')
})

test.run()
