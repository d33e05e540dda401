import { getEventListeners } from 'node:events'
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { createLogBook } from '../../../node/provider/logBook.ts'

const test = suite('provider log book')
const dealId = '0xabc' as const
const line = (text: string) => new TextEncoder().encode(text)

test('a follower waiting line after line holds one abort listener at most, and none once it ends', async () => {
  const logs = createLogBook()
  const controller = new AbortController()
  const seen: string[] = []
  const following = (async () => {
    for await (const entry of logs.follow(dealId, 0, controller.signal)) seen.push(new TextDecoder().decode(entry.data))
  })()
  let most = 0
  for (let index = 0; index < 50; index++) {
    await new Promise((resolve) => setImmediate(resolve))
    most = Math.max(most, getEventListeners(controller.signal, 'abort').length)
    logs.append(dealId, 'stdout', line(`tick ${index}\n`))
  }
  logs.end(dealId)
  await following
  assert.is(seen.length, 50)
  assert.is(most, 1, 'one listener for the wait in progress, not one per line sent')
  assert.is(getEventListeners(controller.signal, 'abort').length, 0)
})

test('an abort ends a follower that is waiting', async () => {
  const logs = createLogBook()
  const controller = new AbortController()
  const following = (async () => {
    for await (const _ of logs.follow(dealId, 0, controller.signal)) void _
  })()
  await new Promise((resolve) => setImmediate(resolve))
  controller.abort()
  await following
  assert.is(getEventListeners(controller.signal, 'abort').length, 0)
})

test.run()
