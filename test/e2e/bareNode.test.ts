// A second implementation's first step, from docs/protocol.md alone: a bare libp2p
// node (TCP, Noise, Yamux, identify, gossipsub with only the settings §5.3–5.4
// name) joins a real `allot provider start` process, receives its ask on the
// topic §5.1 names, and decodes and checks it as §4 and §3 say. Nothing of
// allot's node or protocol code builds the bare node or reads what it receives.
import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { gossipsub, type GossipSub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import type { Libp2p } from '@libp2p/interface'
import { tcp } from '@libp2p/tcp'
import { multiaddr } from '@multiformats/multiaddr'
import { createLibp2p } from 'libp2p'
import { createHash } from 'node:crypto'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { parseUnits, verifyTypedData, type Address, type Hex } from 'viem'
import { privateKeyToAccount } from 'viem/accounts'
import { depositCollateral } from '../../node/chain/actions/depositCollateral.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { devPrivateKeys, type ChainClients } from '../../node/chain/clients.ts'
import { writeDeployment } from '../../node/chain/deployment.ts'
import { startDevMarket, type DevMarket } from '../../node/chain/devMarket.ts'
import { spawnAllot, type AllotProcess } from '../../node/demo/spawnAllot.ts'

let market: DevMarket
let root: string
let provider: AllotProcess | undefined
let bare: Libp2p<{ pubsub: GossipSub }> | undefined
const providerKey = devPrivateKeys[1]!
const providerAddress = privateKeyToAccount(providerKey).address

test.before(async () => {
  root = await mkdtemp(join(tmpdir(), 'allot-bare-'))
  market = await startDevMarket()
  const deploymentPath = join(root, 'deployment.json')
  await writeDeployment(deploymentPath, market.deployment)
  const providerClients = market.accounts[1] as ChainClients
  await ensureAllowance(providerClients, { token: market.deployment.collateralToken, spender: market.deployment.market, amount: 1n })
  await depositCollateral(providerClients, { deployment: market.deployment, amount: parseUnits('100', 18) })
  provider = spawnAllot(['provider', 'start', '--home', join(root, 'provider'), '--listen', '/ip4/127.0.0.1/tcp/0', '--cpu', '2000', '--memory', '2048', '--disk', '1024'], {
    ALLOT_RPC: market.anvil.rpcUrl,
    ALLOT_DEPLOYMENT: deploymentPath,
    ALLOT_PRIVATE_KEY: providerKey,
  })
})

test.after(async () => {
  await bare?.stop()
  await provider?.stop()
  await market?.stop()
  await rm(root, { recursive: true, force: true })
})

// docs/protocol.md §3.2, the encodeType strings written out as viem's types.
const gpu = [
  { name: 'model', type: 'string' },
  { name: 'vramMiB', type: 'uint32' },
  { name: 'count', type: 'uint32' },
]
const askTypes = {
  Ask: [
    { name: 'provider', type: 'address' },
    { name: 'peerId', type: 'string' },
    { name: 'capacity', type: 'Resources' },
    { name: 'free', type: 'Resources' },
    { name: 'runtimes', type: 'string[]' },
    { name: 'prices', type: 'Prices' },
    { name: 'minDuration', type: 'uint32' },
    { name: 'maxDuration', type: 'uint32' },
    { name: 'collateralBps', type: 'uint32' },
    { name: 'createdAt', type: 'uint48' },
    { name: 'expiry', type: 'uint48' },
    { name: 'sequence', type: 'uint48' },
    { name: 'cancelNonce', type: 'uint48' },
  ],
  Gpu: gpu,
  GpuPrice: [
    { name: 'model', type: 'string' },
    { name: 'price', type: 'uint128' },
  ],
  Prices: [
    { name: 'cpu', type: 'uint128' },
    { name: 'memory', type: 'uint128' },
    { name: 'gpus', type: 'GpuPrice[]' },
  ],
  Resources: [
    { name: 'cpuMillicores', type: 'uint32' },
    { name: 'memoryMiB', type: 'uint32' },
    { name: 'diskMiB', type: 'uint32' },
    { name: 'gpus', type: 'Gpu[]' },
  ],
} as const

test('a bare libp2p node built from docs/protocol.md receives and decodes a running provider’s ask', async () => {
  const info = await provider!.ready
  const chainId = market.deployment.chainId
  const marketAddress = market.deployment.market.toLowerCase()
  // §5.1: the topic; §5.3: the stack; §5.4: the gossipsub settings that matter.
  const topic = `/allot/1/${chainId}/${marketAddress}/asks`
  bare = (await createLibp2p({
    addresses: { listen: ['/ip4/127.0.0.1/tcp/0'] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    services: {
      identify: identify(),
      pubsub: gossipsub({
        globalSignaturePolicy: 'StrictNoSign',
        msgIdFn: (message) => createHash('sha256').update(message.data).digest(),
        maxInboundDataLength: 64 * 1024,
      }),
    },
  })) as Libp2p<{ pubsub: GossipSub }>
  await bare.start()
  const received = new Promise<{ data: Uint8Array; id: string }>((resolve) =>
    bare!.services.pubsub.addEventListener('gossipsub:message', (event) => {
      if (event.detail.msg.topic === topic) resolve({ data: event.detail.msg.data, id: event.detail.msgId })
    }),
  )
  bare.services.pubsub.subscribe(topic)
  await bare.dial(multiaddr(info.addresses[0] as string))

  const { data, id } = await Promise.race([
    received,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ask within 60 s; provider output:\n${provider!.output()}`)), 60_000)),
  ])
  // §5.4: the message id is the SHA-256 of the data (gossipsub shows it as unpadded base64).
  assert.is(id, createHash('sha256').update(data).digest('base64').replace(/=+$/, ''))
  // §4.1: version 1, type 0x01 (ask), then canonical JSON; at most 8192 bytes.
  assert.ok(data.length <= 8192)
  assert.is(data[0], 0x01)
  assert.is(data[1], 0x01)
  const body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(data.subarray(2)))
  assert.is(body.chainId, chainId)
  assert.is(body.market, marketAddress)
  assert.is(body.ask.provider, providerAddress.toLowerCase())
  assert.is(body.ask.peerId, info.peerId ?? body.ask.peerId)
  assert.is(body.ask.capacity.cpuMillicores, 2000)
  // §4.2: integers wider than 48 bits travel as decimal strings.
  assert.type(body.ask.prices.cpu, 'string')
  const now = Math.floor(Date.now() / 1000)
  assert.ok(now < body.ask.expiry, 'unexpired')
  // §3.1–3.2: the EIP-712 signature over the ask recovers to its provider.
  const message = {
    ...body.ask,
    prices: {
      cpu: BigInt(body.ask.prices.cpu),
      memory: BigInt(body.ask.prices.memory),
      gpus: body.ask.prices.gpus.map((entry: { model: string; price: string }) => ({ model: entry.model, price: BigInt(entry.price) })),
    },
  }
  const valid = await verifyTypedData({
    address: body.ask.provider as Address,
    domain: { name: 'allot', version: '1', chainId, verifyingContract: marketAddress as Address },
    types: askTypes,
    primaryType: 'Ask',
    message,
    signature: body.signature as Hex,
  })
  assert.ok(valid, 'the signature recovers to the provider')
})

test.run()
