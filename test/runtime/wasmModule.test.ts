import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { admitWasmModule, capWasmMemory, inspectWasmModule } from '../../node/runtime/index.ts'
import { fixtureModule } from './jobFixtures.ts'

const test = suite('wasm module admission')

test('clang output declares no memory maximum; the cap adds one and changes nothing else', async () => {
  const module = new Uint8Array(await fixtureModule('hostile'))
  const before = inspectWasmModule(module)
  assert.is(before.memories.length, 1)
  assert.is(before.memories[0]!.max, undefined)
  const capped = capWasmMemory(module, 512)
  const after = inspectWasmModule(capped)
  assert.equal(after.memories, [{ ...before.memories[0]!, max: 512 }])
  assert.equal(after.imports, before.imports)
  assert.equal(after.exports, before.exports)
  // V8 accepts the rewritten module (lib ES2023 has no WebAssembly types, hence the cast).
  const wasm = (globalThis as unknown as { WebAssembly: { validate: (bytes: Uint8Array) => boolean } }).WebAssembly
  assert.ok(wasm.validate(capped))
})

test('a maximum already under the cap is kept; one above it is lowered', async () => {
  const module = new Uint8Array(await fixtureModule('hostile'))
  const capped = capWasmMemory(module, 100)
  assert.is(capWasmMemory(capped, 200), capped)
  assert.is(inspectWasmModule(capWasmMemory(capped, 50)).memories[0]!.max, 50)
})

test('admission: only WASI preview1 imports, a _start and a memory', async () => {
  const admitted = admitWasmModule(new Uint8Array(await fixtureModule('hostile')), 16)
  assert.ok('module' in admitted)
  assert.is((admitted as { maxPages: number }).maxPages, 256)
  const socket = admitWasmModule(new Uint8Array(await fixtureModule('socket')), 16)
  assert.is('failure' in socket && socket.failure.name, 'UnsupportedImport')
  const garbage = admitWasmModule(new TextEncoder().encode('#!/bin/sh'), 16)
  assert.is('failure' in garbage && garbage.failure.name, 'InvalidEntry')
  // (module (func (export "f")))
  const library = new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0, 7, 5, 1, 1, 0x66, 0, 0, 0x0a, 4, 1, 2, 0, 0x0b])
  const noStart = admitWasmModule(library, 16)
  assert.is('failure' in noStart && noStart.failure.name, 'InvalidEntry')
})

test.run()
