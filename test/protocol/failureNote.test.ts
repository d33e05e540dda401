import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { formatFailureNote, parseFailureNote } from '../../protocol/job/failureNote.ts'

const test = suite('failure notes in a result\'s stderr')

test('the note a provider appends is read back from the end of the job\'s own stderr', () => {
  const stderr = 'sh: out of memory?\n' + formatFailureNote({ name: 'MemoryLimitExceeded', message: 'exceeded limits.memoryMiB (32 MiB)' })
  assert.equal(parseFailureNote(stderr), { name: 'MemoryLimitExceeded', message: 'exceeded limits.memoryMiB (32 MiB)' })
})

test('no note, no failure; of several lines, the last (the provider writes after the job) wins', () => {
  assert.is(parseFailureNote('plain failure\nexit 3\n'), undefined)
  assert.is(parseFailureNote(''), undefined)
  const stderr = '[allot] Early: printed by the job\n' + formatFailureNote({ name: 'ProcessLimitExceeded', message: 'reached limits.processes (8 processes and threads)' })
  assert.is(parseFailureNote(stderr)?.name, 'ProcessLimitExceeded')
})

test.run()
