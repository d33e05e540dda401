import { once } from 'node:events'
import { formatUnits, maxUint256 } from 'viem'
import { runtimes as runtimeKinds, type Runtime as RuntimeKind } from '../../protocol/types/resources.ts'
import { createControlServer } from '../../node/control/createControlServer.ts'
import type { AllotNode } from '../../node/daemon/startNode.ts'
import { providerStatus } from '../../node/provider/providerStatus.ts'
import { detectResources } from '../../node/runtime/resources/detectResources.ts'
import type { MetricsAddress } from '../../node/metrics/parseMetricsAddress.ts'
import type { CommandSpec } from '../command.ts'
import { providerDealLine } from '../dealEventLines.ts'
import { UsageError } from '../errors.ts'
import { startCliNode } from '../startCliNode.ts'
import { metricsOption } from './metricsOption.ts'
import { parseInteger } from './parse.ts'

const parseBigint = (flag: string) => (value: string) => {
  if (!/^\d+$/.test(value)) throw new UsageError(`${flag} must be a whole number, not "${value}".`)
  return BigInt(value)
}

const parseRuntimes = (value: string): RuntimeKind[] => {
  const kinds = value.split(',').map((kind) => kind.trim())
  for (const kind of kinds) if (!(runtimeKinds as readonly string[]).includes(kind)) throw new UsageError(`--runtimes takes ${runtimeKinds.join(', ')}; "${kind}" is none of them.`)
  return kinds as RuntimeKind[]
}

export const providerStart: CommandSpec = {
  path: ['provider', 'start'],
  summary: 'join the network, detect resources, advertise them and run the jobs of the deals you sign',
  options: [
    { flags: '--cpu <millicores>', description: 'CPU to sell, in millicores (default: every core)', parse: parseInteger('--cpu', 1, 10_000_000) },
    { flags: '--memory <MiB>', description: 'memory to sell (default: three quarters of it)', parse: parseInteger('--memory', 1, 100_000_000) },
    { flags: '--disk <MiB>', description: 'disk to sell (default: half the free space of the home)', parse: parseInteger('--disk', 0, 1_000_000_000) },
    { flags: '--runtimes <list>', description: 'runtimes to accept: wasm, process (sandboxed by bubblewrap), docker', defaultValue: ['wasm'], parse: parseRuntimes },
    { flags: '--allow-unsandboxed', description: 'run process jobs with rlimits only where bubblewrap is missing (they then see this machine and its network)' },
    { flags: '--docker-host <address>', description: 'the Docker Engine for the docker runtime, unix:///path (default: DOCKER_HOST, else /var/run/docker.sock)' },
    { flags: '--gpu-device-root <dir>', description: 'where the GPUs\' device nodes (nvidia0, nvidiactl, …) are', defaultValue: '/dev' },
    { flags: '--pull-images', description: 'pull a Docker job\'s image by digest (name@sha256:…) from a registry when the job does not carry it' },
    { flags: '--max-image-mib <MiB>', description: 'largest image archive a Docker job may carry', defaultValue: 1024, parse: parseInteger('--max-image-mib', 1, 1_000_000) },
    { flags: '--price-cpu <units>', description: 'price per core-second, in millionths of the payment token’s smallest unit', defaultValue: 500_000_000n, parse: parseBigint('--price-cpu') },
    { flags: '--price-memory <units>', description: 'price per GiB-second, in millionths of the smallest unit', defaultValue: 50_000_000n, parse: parseBigint('--price-memory') },
    { flags: '--price-gpu <units>', description: 'price per GPU-second for every detected model, in millionths of the smallest unit', defaultValue: 5_000_000_000n, parse: parseBigint('--price-gpu') },
    { flags: '--collateral-bps <bps>', description: 'collateral offered per deal, in basis points of its price', defaultValue: 20_000, parse: parseInteger('--collateral-bps', 0, 1_000_000) },
    metricsOption,
    { flags: '--deadline-slack <seconds>', description: 'time each deal gives beyond the job’s duration to be opened, fetch the job and commit the result', defaultValue: 120, parse: parseInteger('--deadline-slack', 1, 86_400) },
  ],
  examples: [
    'allot provider start',
    'allot provider start --listen /ip4/0.0.0.0/tcp/4001 --bootstrap /ip4/203.0.113.7/tcp/4001/p2p/12D3KooW…',
    'allot provider start --cpu 2000 --memory 4096 --runtimes wasm,process --json',
    'allot provider start --metrics 127.0.0.1:9464',
  ],
  async run(_args, options, context) {
    const { output, signal, settings } = context
    const detected = await detectResources({ home: settings.home, signal })
    for (const warning of detected.warnings) output.info(`warning: ${warning.message}`)
    const capacity = {
      cpuMillicores: (options.cpu as number | undefined) ?? detected.cpuMillicores,
      memoryMiB: (options.memory as number | undefined) ?? Math.floor(detected.memoryMiB * 0.75),
      diskMiB: (options.disk as number | undefined) ?? Math.floor(detected.diskMiB / 2),
      gpus: detected.gpus,
    }
    const gpuModels = [...new Set(detected.gpus.map((gpu) => gpu.model))]
    const { node, connection } = await startCliNode(context, {
      provider: {
        capacity,
        prices: { cpu: options.priceCpu as bigint, memory: options.priceMemory as bigint, gpus: gpuModels.map((model) => ({ model, price: options.priceGpu as bigint })) },
        runtimes: {
          kinds: options.runtimes as RuntimeKind[],
          process: { allowUnsandboxed: options.allowUnsandboxed === true, deviceRoot: options.gpuDeviceRoot as string, gpus: capacity.gpus },
          docker: {
            host: (options.dockerHost as string | undefined) ?? process.env.DOCKER_HOST,
            pullImages: options.pullImages === true,
            maxImageBytes: (options.maxImageMib as number) * 2 ** 20,
          },
        },
        collateralBps: options.collateralBps as number,
        deadlineSlackSeconds: options.deadlineSlack as number,
        // Terms must be opened before the slack runs out, or the job might not fit before the deadline.
        termsLifetimeSeconds: Math.min(120, options.deadlineSlack as number),
      },
      syncOnStart: true,
      metrics: options.metrics as MetricsAddress | undefined,
    })
    // One line per deal event on the terminal (on stderr under --json, so stdout stays one document).
    node.provider!.addEventListener('deal', ({ detail }) => {
      const line = providerDealLine(detail, connection.tokens.payment)
      if (line) output.progress(...line)
      else if (detail.kind === 'declined') output.detail(1, `declined a proposal: ${detail.reason}${detail.detail ? ` (${detail.detail})` : ''}`)
    })
    // The endpoint `allot provider status` and the dashboard read; control.json in the home says where.
    const control = createControlServer(
      { routes: { '/status': () => providerStatus({ provider: node.provider!, clients: node.clients, deployment: node.deployment }, { tokens: connection.tokens }) } },
      { home: settings.home },
    )
    try {
      await control.start()
      const status = await node.provider!.status()
      const { tokens } = connection
      // What the ask carries: every runtime named has started, or the start failed.
      const runtimes = status.ask?.ask.runtimes ?? node.runtimes!.kinds
      const idle = status.backingRoom === 0n ? await whyNothingIsBacked(node) : undefined
      output.result({ ...node.info, market: connection.deployment.market, control: control.url, capacity, runtimes, canBack: status.backingRoom, ...(idle ? { idle: idle.reason } : {}) }, () =>
        [
          `provider ${node.info.address}`,
          `market   ${connection.deployment.market}${connection.deployment.market === connection.defaultMarket ? ' (the default market)' : ''}`,
          `peer id  ${node.info.peerId}`,
          ...node.info.addresses.map((address) => `listening on ${address}`),
          `selling  ${capacity.cpuMillicores / 1000} cores, ${capacity.memoryMiB} MiB memory, ${capacity.diskMiB} MiB disk${capacity.gpus.length ? `, ${capacity.gpus.length} GPU(s): ${gpuModels.join(', ')}` : ''}`,
          `runtimes ${runtimes.join(', ')}`,
          `can back ${status.backingRoom === maxUint256 ? '∞' : formatUnits(status.backingRoom, tokens.payment.decimals)} ${tokens.payment.symbol} of deal collateral${idle ? ` — ${idle.text}` : ''}`,
          `node info written to ${settings.home}/node.json; \`allot provider status\` shows what it is doing; Ctrl-C to stop`,
        ].join('\n'),
      )
      if (!signal.aborted) await once(signal, 'abort')
    } finally {
      await control.stop()
      await node.stop()
    }
  },
}

/** Why a provider that just started can back no deal, in a user's words: it sells nothing until this changes. */
async function whyNothingIsBacked(node: AllotNode): Promise<{ reason: 'no-collateral' | 'stale-price' | 'obligations'; text: string }> {
  const { position } = await providerStatus({ provider: node.provider!, clients: node.clients, deployment: node.deployment })
  if (position.collateral === 0n && position.coverage === 0n) return { reason: 'no-collateral', text: 'deposit collateral with `allot stake deposit` first' }
  if (position.chainBackingRoom === null)
    return { reason: 'stale-price', text: 'the collateral’s price feed is stale or invalid, so the market backs no new deal with your stake; it sells as soon as the feed publishes again' }
  return { reason: 'obligations', text: 'your open deals use all your backing: it frees as they settle, or add collateral with `allot stake deposit`' }
}
