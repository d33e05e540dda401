import { fetchControl } from '../control/fetchControl.ts'
import type { ProviderStatusSnapshot } from '../provider/providerStatus.ts'

/**
 * The status snapshot of a provider running in `home`, from its control endpoint
 * (the same answer `allot provider status` prints); undefined when none runs there,
 * since the dashboard also serves homes that hold no provider.
 *
 * @example
 * const status = await readLocalProvider(settings.home)
 */
export async function readLocalProvider(home: string, { signal }: { signal?: AbortSignal } = {}) {
  return fetchControl<ProviderStatusSnapshot>({ home, path: '/status', signal, timeoutMs: 1_000 }).catch(() => undefined)
}
