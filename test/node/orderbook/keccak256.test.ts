import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { keccak256 as viemKeccak256, toHex } from 'viem'
import { keccak256 } from '../../../node/orderbook/keccak256.ts'

test('the empty input hashes to the known Keccak-256 digest', () => {
  assert.is(toHex(keccak256(new Uint8Array())), '0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470')
})

test('every length from 0 to 600 bytes (across block boundaries) hashes as viem does', () => {
  for (let length = 0; length <= 600; length++) {
    const input = Uint8Array.from({ length }, (_, index) => (index * 131 + length * 7) & 0xff)
    assert.is(toHex(keccak256(input)), viemKeccak256(input), `length ${length}`)
  }
})

test('a hash does not depend on the one before it (the state is reset)', () => {
  const input = new TextEncoder().encode('allot')
  const first = toHex(keccak256(input))
  keccak256(new Uint8Array(300).fill(0xff))
  assert.is(toHex(keccak256(input)), first)
})

test.run()
