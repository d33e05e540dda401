import { test } from 'uvu'
import * as assert from 'uvu/assert'
test('polyfill provides Promise.withResolvers', () => {
  assert.type((Promise as any).withResolvers, 'function')
})
test.run()
