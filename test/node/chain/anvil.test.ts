import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { privateKeyToAccount } from 'viem/accounts'
import { getPosition } from '../../../node/chain/actions/readMarket.ts'
import { startAnvil } from '../../../node/chain/anvil.ts'
import { createChainClients, devPrivateKeys } from '../../../node/chain/clients.ts'
import { ChainUnreachableError, redactUrl } from '../../../node/chain/errors.ts'

const alive = (pid: number) => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('anvil starts on a free loopback port and stop() leaves no process behind', async () => {
  const anvil = await startAnvil()
  assert.match(anvil.rpcUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  const clients = createChainClients({ rpcUrl: anvil.rpcUrl, account: privateKeyToAccount(devPrivateKeys[0]) })
  assert.is(await clients.public.getChainId(), 31337)
  const pid = anvil.process.pid!
  await anvil.stop()
  assert.not.ok(alive(pid), 'anvil still running after stop()')
})

test('aborting the signal stops anvil', async () => {
  const controller = new AbortController()
  const anvil = await startAnvil({ signal: controller.signal })
  const exited = new Promise((resolve) => anvil.process.once('exit', resolve))
  controller.abort()
  await exited
  assert.not.ok(alive(anvil.process.pid!))
})

test('two chains run side by side on different ports', async () => {
  const [a, b] = await Promise.all([startAnvil(), startAnvil()])
  assert.is.not(a.port, b.port)
  await Promise.all([a.stop(), b.stop()])
})

test('a dead RPC endpoint is a ChainUnreachableError naming the URL without credentials', async () => {
  const anvil = await startAnvil()
  const port = anvil.port
  await anvil.stop()
  const rpcUrl = `http://user:secret@127.0.0.1:${port}/?apikey=hidden`
  const clients = createChainClients({ rpcUrl, account: privateKeyToAccount(devPrivateKeys[0]) })
  try {
    await getPosition(clients, { deployment: { market: '0x5FbDB2315678afecb367f032d93F642f64180aa3' }, provider: clients.wallet.account.address })
    assert.unreachable('a dead endpoint answered')
  } catch (error) {
    assert.instance(error, ChainUnreachableError)
    const message = (error as Error).message
    assert.match(message, `127.0.0.1:${port}`)
    assert.not.match(message, 'secret')
    assert.not.match(message, 'hidden')
    assert.match((error as ChainUnreachableError).hint ?? '', '--rpc')
  }
})

test('redactUrl strips credentials and query strings', () => {
  assert.is(redactUrl('https://alice:pw@rpc.example/v1?key=abc'), 'https://rpc.example/v1')
  assert.is(redactUrl('not a url'), '<invalid url>')
})

test.run()
