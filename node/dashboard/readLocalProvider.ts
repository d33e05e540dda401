import { readFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * The status snapshot of a provider running in `home`, from its control endpoint
 * (`<home>/control.json` names the URL and token); undefined when none runs there.
 *
 * @example
 * const status = await readLocalProvider(settings.home)
 */
export async function readLocalProvider(home: string, { signal }: { signal?: AbortSignal } = {}): Promise<unknown> {
  let control: { url: string; token: string }
  try {
    control = JSON.parse(await readFile(join(home, 'control.json'), 'utf8'))
  } catch {
    return undefined
  }
  try {
    const timeout = AbortSignal.timeout(1_000)
    const response = await fetch(new URL('/status', control.url), { headers: { authorization: `Bearer ${control.token}` }, signal: signal ? AbortSignal.any([signal, timeout]) : timeout })
    return response.ok ? await response.json() : undefined
  } catch {
    // A control.json left by a provider that stopped.
    return undefined
  }
}
