import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { BaseError, MalformedMessageError, SchemaError } from '../../protocol/index.ts'

const test = suite('errors')

test('BaseError carries shortMessage, details, metaMessages and hint', () => {
  const error = new BaseError('The thing broke.', { details: 'gear 3', metaMessages: ['While: turning'], hint: 'Oil it.' })
  assert.is(error.name, 'BaseError')
  assert.is(error.shortMessage, 'The thing broke.')
  assert.is(error.details, 'gear 3')
  assert.is(error.hint, 'Oil it.')
  assert.is(error.message, 'The thing broke.\n\nWhile: turning\n\nDetails: gear 3\nHint: Oil it.')
})

test('details come from the cause, and walk() follows the chain', () => {
  const root = new Error('socket closed')
  const middle = new MalformedMessageError('payload is not valid JSON', { cause: root })
  const top = new BaseError('Sync failed.', { cause: middle })
  assert.is(middle.details, 'socket closed')
  assert.is(top.details, 'socket closed')
  assert.is(top.cause, middle)
  assert.is(top.walk(), root)
  assert.is(top.walk((e) => e instanceof MalformedMessageError), middle)
  assert.is(top.walk(() => false), null)
  assert.is(new BaseError('x', { cause: 'a string' }).details, 'a string')
})

test('subclasses are named and compare by name', () => {
  const error = new SchemaError({ type: 'ask', issues: [{ path: 'ask.expiry', message: 'too big' }, { path: '', message: 'bad' }] })
  assert.is(error.name, 'SchemaError')
  assert.instance(error, BaseError)
  assert.is(error.shortMessage, 'Invalid "ask" message at `ask.expiry`: too big.')
  assert.equal(error.metaMessages, ['- ask.expiry: too big', '- (root): bad'])
})

test.run()
