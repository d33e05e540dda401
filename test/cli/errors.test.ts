import { spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { commands } from '../../cli/commands/index.ts'
import { errorFormat, explainError } from '../../cli/explainError.ts'
import { marketErrors } from '../../cli/marketErrors.ts'
import { ContractRevertError } from '../../node/chain/errors.ts'
import { runCli } from '../helpers/cli.ts'

const tokens = {
  payment: { address: '0x00000000000000000000000000000000000000a1', symbol: 'tUSD', decimals: 6 },
  collateral: { address: '0x00000000000000000000000000000000000000c1', symbol: 'ALS', decimals: 18 },
} as const

/** A plausible value for each ABI type, so every entry is exercised with real-looking arguments. */
function sample(type: string): unknown {
  if (type === 'address') return tokens.payment.address
  if (type === 'bytes32') return `0x${'ab'.repeat(32)}`
  if (type === 'bool') return true
  if (type.startsWith('uint8')) return 1
  if (type.startsWith('uint') || type.startsWith('int')) return 1_800_000_000n
  return 'x'
}

const abiErrors = allotMarketAbi.filter((item) => item.type === 'error')

test('every custom error of the market has a sentence and a hint', () => {
  const missing = abiErrors.map((item) => item.name).filter((name) => !(name in marketErrors))
  assert.equal(missing, [], `add these to cli/marketErrors.ts: ${missing.join(', ')}`)
  for (const item of abiErrors) {
    const args = item.inputs.map((input) => sample(input.type))
    const explained = explainError(new ContractRevertError({ functionName: 'openDeal', errorName: item.name, args }), errorFormat(tokens))
    assert.ok(explained.message.length > 20, item.name)
    assert.ok(explained.hint && explained.hint.length > 10, `${item.name} has no hint`)
    assert.not.match(explained.message, /should never happen|reverted with|viem/i, item.name)
  }
})

test('amounts are shown in tokens and dates in local time, never as base units and timestamps', () => {
  const transfer = explainError(new ContractRevertError({ functionName: 'openDeal', errorName: 'TransferFromFailed', args: [tokens.payment.address, '0x1111111111111111111111111111111111111111', 1_500_000n] }), errorFormat(tokens))
  assert.match(transfer.message, '1.5 tUSD')
  const deadline = explainError(new ContractRevertError({ functionName: 'liquidateDeal', errorName: 'DeadlineNotReached', args: [1_796_526_146n] }), errorFormat(tokens))
  assert.not.match(deadline.message, '1796526146')
  assert.match(deadline.message, new Date(1_796_526_146_000).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' }))
  assert.match(deadline.hint!, /keeper/)
})

test('a busy port and a locked home are named, not "unexpected"', async () => {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  const second = createServer()
  const error = await new Promise<Error>((resolve) => second.once('error', resolve).listen(port, '127.0.0.1'))
  server.close()
  const busy = explainError(error)
  assert.is(busy.name, 'PortInUseError')
  assert.match(busy.message, String(port))
  const locked = explainError(Object.assign(new Error('Database is not open'), { cause: Object.assign(new Error('Database is locked'), { code: 'LEVEL_LOCKED' }) }))
  assert.is(locked.name, 'HomeInUseError')
})

test('--help exits 0 for every command in the table and lists the global options', async () => {
  for (const spec of commands) {
    const result = await runCli([...spec.path, '--help'])
    assert.is(result.code, 0, `${spec.path.join(' ')} --help: ${result.stderr}`)
    assert.match(result.stdout, 'Examples:', spec.path.join(' '))
    assert.match(result.stdout, '--rpc <url>', `${spec.path.join(' ')} --help does not list the global options`)
    for (const option of spec.options ?? []) assert.match(result.stdout, option.flags.split(' ').find((part) => part.startsWith('--'))!, spec.path.join(' '))
  }
  const groups = new Set(commands.filter((spec) => spec.path.length > 1).map((spec) => spec.path[0]!))
  for (const group of groups) assert.is((await runCli([group, '--help'])).code, 0, group)
  assert.is((await runCli(['--help'])).code, 0)
})

test('provider start --help shows its bigint defaults', async () => {
  const result = await runCli(['provider', 'start', '--help'])
  assert.is(result.code, 0, result.stderr)
  assert.match(result.stdout, 'default: 500000000')
})

test('--version prints the version and exits 0', async () => {
  const result = await runCli(['--version'])
  assert.is(result.code, 0)
  assert.match(result.stdout, /^\d+\.\d+\.\d+/)
})

test('a reader that closes the pipe early ends the command quietly, with no stack trace', async () => {
  // `allot --help | head -0`: the reader is gone before the help is written, which meets EPIPE.
  const child = spawn(process.execPath, [join(import.meta.dirname, '..', '..', 'cli', 'bin.js'), '--help'], { stdio: ['ignore', 'pipe', 'pipe'] })
  let stderr = ''
  child.stderr.on('data', (chunk) => (stderr += chunk))
  child.stdout.destroy()
  const code = await new Promise((resolve) => child.once('exit', resolve))
  assert.is(code, 0, stderr)
  assert.is(stderr, '')
})

test('an amount that is not a number is a usage error named before anything connects', async () => {
  // No deployment and no chain here: the typo is what the user hears about, not the missing deployment.
  const env = { ALLOT_HOME: '/nonexistent/allot-home' }
  for (const argv of [['deposit', 'abc'], ['stake', 'deposit', '1e3'], ['stake', 'withdraw', '0'], ['stake', 'withdraw']]) {
    const result = await runCli(argv, { env })
    assert.is(result.code, 2, `${argv.join(' ')}: ${result.stderr}`)
    assert.match(result.stderr, 'AMOUNT must be a positive number', argv.join(' '))
  }
})

test.run()
