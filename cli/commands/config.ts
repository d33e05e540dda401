import type { CommandSpec } from '../command.ts'
import { describeSettings } from '../settings.ts'

export const configShow: CommandSpec = {
  path: ['config', 'show'],
  summary: 'print every setting in force and where it came from (flag, env, config file, default)',
  examples: ['allot config show', 'ALLOT_RPC=http://127.0.0.1:9545 allot config show --json'],
  async run(_args, _options, { resolved, output }) {
    const described = describeSettings(resolved)
    output.result(described, (settings) =>
      Object.entries(settings)
        .map(([key, { value, source }]) => `${key.padEnd(12)} ${String(Array.isArray(value) ? value.join(',') || '(none)' : value).padEnd(50)} ${source}`)
        .join('\n'),
    )
  },
}
