import { Command, CommanderError, Option } from 'commander'
import debug from 'debug'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { packageRoot } from '../node/demo/packageRoot.ts'
import type { CommandContext } from './command.ts'
import { commands } from './commands/index.ts'
import { UsageError } from './errors.ts'
import { createOutput, type OutputStreams } from './output.ts'
import { resolveSettings, type SettingKey } from './settings.ts'

export type RunParameters = {
  argv: string[]
  env?: NodeJS.ProcessEnv
  streams?: OutputStreams
  signal?: AbortSignal
}

/**
 * Runs the `allot` command line and returns its exit code: 0 success, 1 failure,
 * 2 usage error. It never exits the process, so tests call it directly.
 *
 * @example
 * const code = await run({ argv: ['chain', 'dev', '--json'] })
 */
export async function run({ argv: rawArgv, env = process.env, streams = { stdout: process.stdout, stderr: process.stderr }, signal = new AbortController().signal }: RunParameters): Promise<number> {
  // `-vv` is read as two `-v`s; commander only knows single-letter short flags.
  const argv = rawArgv.flatMap((arg) => (arg === '-vv' ? ['-v', '-v'] : [arg]))
  const json = argv.includes('--json')
  const verbosity = argv.filter((a) => a === '-v' || a === '--verbose').length
  let output = createOutput({ json, verbosity, streams })
  let exitCode = 0
  // -v: every step's detail from the node's loggers; -vv: every request as well (chain RPC and peer traffic).
  if (verbosity > 0) debug.enable([process.env.DEBUG, verbosity >= 2 ? 'allot:*' : 'allot:*,-allot:*:trace,-allot:rpc'].filter(Boolean).join(','))

  const program = new Command('allot')
    .description('allot: a decentralized marketplace for compute')
    .version(allotVersion(), '--version', 'print the version of allot')
    .configureHelp({ showGlobalOptions: true })
    .option('--home <dir>', 'node home folder (env ALLOT_HOME, default ~/.allot)')
    .option('--rpc <url>', 'JSON-RPC endpoint of the chain (env ALLOT_RPC)')
    .option('--deployment <file>', 'deployment file (env ALLOT_DEPLOYMENT, default <home>/deployment.json)')
    .option('--listen <multiaddr...>', 'addresses the node listens on (env ALLOT_LISTEN, comma-separated)')
    .option('--bootstrap <multiaddr...>', 'peers to join the network through (env ALLOT_BOOTSTRAP, comma-separated)')
    .option('--announce <multiaddr...>', 'addresses to tell peers instead of the listen addresses, e.g. behind NAT (env ALLOT_ANNOUNCE)')
    .option('--market <address>', "the market to trade in, from `allot market list` (env ALLOT_MARKET; default: the deployment's default market)")
    .option('--json', 'print one JSON document on stdout')
    .addOption(new Option('-v, --verbose', 'more detail (-vv for even more); DEBUG=allot:* for everything').argParser((_v, previous: number = 0) => previous + 1))
    .showHelpAfterError(false)
    .exitOverride()
    .configureOutput({
      writeOut: (text) => streams[json ? 'stderr' : 'stdout'].write(text),
      writeErr: (text) => streams.stderr.write(text),
      outputError: () => {},
    })

  const groups = new Map<string, Command>()
  for (const spec of commands) {
    let parent = program
    for (const [index, part] of spec.path.slice(0, -1).entries()) {
      const key = spec.path.slice(0, index + 1).join(' ')
      let group = groups.get(key)
      if (!group) {
        group = parent.command(part).description(groupSummaries[key] ?? '').exitOverride().configureHelp({ showGlobalOptions: true })
        groups.set(key, group)
      }
      parent = group
    }
    const command = parent.command(spec.path.at(-1)!, { isDefault: spec.isDefault }).description(spec.summary).exitOverride().configureHelp({ showGlobalOptions: true })
    for (const argument of spec.arguments ?? []) command.argument(argument)
    for (const option of spec.options ?? []) {
      const created = new Option(option.flags, option.description)
      // Help prints defaults; a bigint has no JSON form, so it is described as text.
      if (option.defaultValue !== undefined) created.default(option.defaultValue, typeof option.defaultValue === 'bigint' ? String(option.defaultValue) : undefined)
      if (option.parse) created.argParser(option.parse as (value: string, previous: unknown) => unknown)
      command.addOption(created)
    }
    command.addHelpText('after', `\nExamples:\n${spec.examples.map((e) => `  $ ${e}`).join('\n')}\n`)
    command.action(async (...actionArgs: unknown[]) => {
      const self = actionArgs.at(-1) as Command
      const globals = self.optsWithGlobals()
      const resolved = resolveSettings({ flags: pickFlags(globals), env })
      output = createOutput({ json: Boolean(globals.json), verbosity, streams })
      const failed = new AbortController()
      const context: CommandContext = { settings: resolved.settings, resolved, output, signal: AbortSignal.any([signal, failed.signal]), fail: (error) => failed.abort(error) }
      try {
        await spec.run(self.args, self.opts(), context)
      } catch (error) {
        // A command stopped by `fail` may throw its own abort error: the reason it was stopped is the one to show.
        throw failed.signal.aborted ? failed.signal.reason : error
      }
      if (failed.signal.aborted) throw failed.signal.reason
    })
  }

  try {
    await program.parseAsync(argv, { from: 'user' })
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.exitCode === 0) return 0
      exitCode = output.failure(new UsageError(error.message.replace(/^error: /, '')))
      return exitCode
    }
    exitCode = output.failure(error)
  }
  return exitCode
}

function allotVersion(): string {
  try {
    return JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')).version
  } catch {
    return 'unknown'
  }
}

const groupSummaries: Record<string, string> = {
  chain: 'run a local chain with the market deployed',
  config: 'show the settings in force and where they come from',
  keeper: 'liquidate failed deals and unhealthy positions for a bonus',
  stake: 'manage your provider collateral',
  provider: 'sell your machine’s capacity',
  job: 'run jobs on the market and follow them',
  market: 'look at the order book, list the markets and create new ones',
  sim: 'simulate the market under stress on the real contracts and keeper',
}

function pickFlags(globals: Record<string, unknown>): Partial<Record<SettingKey | 'home', unknown>> {
  const flags: Partial<Record<SettingKey | 'home', unknown>> = {}
  for (const key of ['home', 'rpc', 'deployment', 'password', 'privateKey', 'listen', 'bootstrap', 'announce', 'market'] as const) {
    if (globals[key] !== undefined) flags[key] = globals[key]
  }
  return flags
}
