import { readFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { z } from 'zod'
import { SettingError } from './errors.ts'

/** Where one setting's value came from, for `allot config show`. */
export type SettingSource = 'flag' | 'env' | 'config' | 'default'

const schema = z.object({
  rpc: z.string().url(),
  deployment: z.string().min(1),
  password: z.string(),
  privateKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 0x-prefixed 32-byte hex key'),
  listen: z.array(z.string()),
  bootstrap: z.array(z.string()),
  announce: z.array(z.string()),
  market: z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 0x-prefixed 20-byte market address (see `allot market list`)'),
})

export type SettingKey = keyof z.infer<typeof schema>
export type Settings = { home: string } & Partial<z.infer<typeof schema>>

const envNames: Record<SettingKey, string> = {
  rpc: 'ALLOT_RPC',
  deployment: 'ALLOT_DEPLOYMENT',
  password: 'ALLOT_PASSWORD',
  privateKey: 'ALLOT_PRIVATE_KEY',
  listen: 'ALLOT_LISTEN',
  bootstrap: 'ALLOT_BOOTSTRAP',
  announce: 'ALLOT_ANNOUNCE',
  market: 'ALLOT_MARKET',
}

const defaults = (home: string): Partial<Record<SettingKey, unknown>> => ({
  rpc: 'http://127.0.0.1:8545',
  deployment: join(home, 'deployment.json'),
  listen: ['/ip4/127.0.0.1/tcp/0'],
  bootstrap: [],
})

/** Settings that are never shown by `config show`. */
const secret = new Set<SettingKey>(['password', 'privateKey'])
const lists = new Set<SettingKey>(['listen', 'bootstrap', 'announce'])

export type ResolveSettingsParameters = {
  flags: Partial<Record<SettingKey | 'home', unknown>>
  env?: NodeJS.ProcessEnv
}

export type ResolvedSettings = { settings: Settings; sources: Record<string, SettingSource> }

/**
 * Resolves every setting: a flag, else an `ALLOT_`-prefixed environment variable,
 * else `<home>/config.json`, else a default. The home itself comes from `--home`,
 * `ALLOT_HOME` or `~/.allot`.
 */
export function resolveSettings({ flags, env = process.env }: ResolveSettingsParameters): ResolvedSettings {
  const sources: Record<string, SettingSource> = {}
  let home: string
  if (typeof flags.home === 'string') [home, sources.home] = [flags.home, 'flag']
  else if (env.ALLOT_HOME) [home, sources.home] = [env.ALLOT_HOME, 'env']
  else [home, sources.home] = [join(homedir(), '.allot'), 'default']
  home = resolve(home)

  const file = readConfigFile(home)
  const fallback = defaults(home)
  const settings: Settings = { home }
  for (const key of Object.keys(schema.shape) as SettingKey[]) {
    let value: unknown
    let source: SettingSource | undefined
    const fromEnv = env[envNames[key]]
    if (flags[key] !== undefined && !(Array.isArray(flags[key]) && (flags[key] as unknown[]).length === 0)) [value, source] = [flags[key], 'flag']
    else if (fromEnv !== undefined && fromEnv !== '') [value, source] = [lists.has(key) ? fromEnv.split(',').map((s) => s.trim()).filter(Boolean) : fromEnv, 'env']
    else if (file[key] !== undefined) [value, source] = [file[key], 'config']
    else if (fallback[key] !== undefined) [value, source] = [fallback[key], 'default']
    if (source === undefined) continue
    const parsed = schema.shape[key].safeParse(value)
    if (!parsed.success) {
      const where = source === 'env' ? envNames[key] : source === 'config' ? join(home, 'config.json') : `--${key}`
      throw new SettingError({ key, source: where, reason: parsed.error.issues[0]?.message ?? 'invalid value' })
    }
    ;(settings as Record<string, unknown>)[key] = parsed.data
    sources[key] = source
  }
  return { settings, sources }
}

/** The settings as `config show` prints them: secrets masked. */
export function describeSettings({ settings, sources }: ResolvedSettings) {
  return Object.fromEntries(
    Object.entries(settings).map(([key, value]) => [key, { value: secret.has(key as SettingKey) ? '********' : value, source: sources[key] }]),
  )
}

function readConfigFile(home: string): Partial<Record<SettingKey, unknown>> {
  const path = join(home, 'config.json')
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return {}
  }
  try {
    const parsed = JSON.parse(text)
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not a JSON object')
    return parsed
  } catch (cause) {
    throw new SettingError({ key: 'config.json', source: path, reason: (cause as Error).message })
  }
}
