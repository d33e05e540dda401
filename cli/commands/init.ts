import { writeFile, mkdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { generatePrivateKey } from 'viem/accounts'
import { PasswordRequiredError } from '../../node/keys/errors.ts'
import { keystoreFile, writeKeystore } from '../../node/keys/keystore.ts'
import type { CommandSpec } from '../command.ts'
import { UsageError } from '../errors.ts'

export const init: CommandSpec = {
  path: ['init'],
  summary: 'create an encrypted key (Web3 Secret Storage v3) and a config file in the home',
  options: [{ flags: '--private-key <hex>', description: 'import this key instead of generating one (env ALLOT_PRIVATE_KEY)' }],
  examples: ['allot init', 'ALLOT_PASSWORD=… allot init --home ./provider', 'allot init --private-key 0x… --json'],
  async run(_args, options, { settings, output }) {
    const path = keystoreFile(settings.home)
    const password = settings.password ?? (process.stdin.isTTY ? await askNewPassword() : undefined)
    if (password === undefined) throw new PasswordRequiredError({ path })
    const privateKey = ((options.privateKey as string | undefined) ?? settings.privateKey ?? generatePrivateKey()) as `0x${string}`
    const address = await writeKeystore({ path, privateKey, password })
    const configPath = join(settings.home, 'config.json')
    await mkdir(settings.home, { recursive: true })
    const existing = await readFile(configPath, 'utf8').catch(() => undefined)
    if (existing === undefined) await writeFile(configPath, `${JSON.stringify({ rpc: settings.rpc }, null, 2)}\n`)
    output.result({ address, keystore: path, config: configPath }, () =>
      [`address   ${address}`, `keystore  ${path}`, `config    ${configPath}`, '', 'Fund this address, then `allot stake deposit` (providers) or `allot job submit` (clients).'].join('\n'),
    )
  },
}

async function askNewPassword(): Promise<string> {
  const { default: password } = await import('@inquirer/password')
  const first = await password({ message: 'New keystore password', mask: '*' })
  const second = await password({ message: 'Repeat it', mask: '*' })
  if (first !== second) throw new UsageError('The two passwords differ; nothing was written.')
  return first
}
