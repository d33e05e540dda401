// One order book node in its own process, for tests that need real OS processes.
// Configured by ALLOT_TEST_NODE (JSON), driven by IPC messages { id, command, argument }.
import { multiaddr } from '@multiformats/multiaddr'
import { decodeMessage } from '../../protocol/codec/decodeMessage.ts'
import { createStaticBacking } from '../../node/orderbook/backing.ts'
import { startOrderBookNode, waitForSubscribers } from './orderbookNetwork.ts'

const config = JSON.parse(process.env.ALLOT_TEST_NODE ?? '{}') as {
  home: string
  bootstrap: string[]
  backed: Record<string, string>
}
const backing = createStaticBacking(Object.fromEntries(Object.entries(config.backed).map(([provider, amount]) => [provider, BigInt(amount)])))
const node = await startOrderBookNode({ home: config.home, backing, bootstrap: config.bootstrap })

/** When each order's hash first reached this node's book (ms since the epoch, sub-ms precise). */
const arrivals: Record<string, number> = {}
const stamp = () => performance.timeOrigin + performance.now()
node.book.addEventListener('ask', (event) => (arrivals[event.detail.hash] ??= stamp()))
node.book.addEventListener('bid', (event) => (arrivals[event.detail.hash] ??= stamp()))

const commands: Record<string, (argument: any) => unknown> = {
  ready: () => ({ peerId: node.host.peerId.toString(), address: node.address }),
  dial: async (address: string) => void (await node.host.dial(multiaddr(address))),
  waitForSubscribers: (count: number) => waitForSubscribers([node], count, 20_000),
  publish: async (base64: string) => {
    const message = decodeMessage(Buffer.from(base64, 'base64'), { accept: ['ask', 'bid', 'ask-cancel'] })
    if (message.type === 'ask') await node.book.publishAsk(message.body)
    else if (message.type === 'bid') await node.book.publishBid(message.body)
    else await node.book.publishCancel(message.body)
    return stamp()
  },
  asks: () => node.book.asks().map((entry) => entry.hash),
  bids: () => node.book.bids().map((entry) => entry.hash),
  arrivals: () => arrivals,
  stats: () => node.book.stats(),
  sync: () => node.book.sync(),
  stop: async () => {
    await node.stop()
    setImmediate(() => process.exit(0))
  },
}

process.on('message', async ({ id, command, argument }: { id: number; command: string; argument: unknown }) => {
  try {
    const run = commands[command]
    if (!run) throw new Error(`unknown command ${command}`)
    process.send!({ id, result: await run(argument) })
  } catch (error) {
    process.send!({ id, error: (error as Error).message })
  }
})
process.on('disconnect', () => void node.stop().finally(() => process.exit(0)))
