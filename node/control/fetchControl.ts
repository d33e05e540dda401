import { controlFilePath, readControlFile } from './controlFile.ts'
import { ControlRequestError, ControlTokenRejectedError, ProviderNotRunningError } from './errors.ts'
import { isProcessAlive } from './isProcessAlive.ts'

/** What a value becomes through JSON on the control endpoint: bigints arrive as decimal strings. */
export type Jsonified<T> = T extends bigint ? string : T extends (infer U)[] ? Jsonified<U>[] : T extends object ? { [K in keyof T]: Jsonified<T[K]> } : T

export type FetchControlParameters = { home: string; path: string; signal?: AbortSignal; timeoutMs?: number }

/**
 * Asks the node running in `home` over its control endpoint, with the token from
 * its `control.json`.
 *
 * @returns the parsed JSON answer.
 * @throws ProviderNotRunningError, ControlTokenRejectedError, ControlFileUnreadableError, ControlRequestError
 * @example
 * const status = await fetchControl<ProviderStatusSnapshot>({ home, path: '/status' })
 */
export async function fetchControl<T>({ home, path, signal, timeoutMs = 15_000 }: FetchControlParameters): Promise<Jsonified<T>> {
  const file = await readControlFile(home)
  if (!file) throw new ProviderNotRunningError({ home, reason: `there is no ${controlFilePath(home)}` })
  if (!isProcessAlive(file.pid)) throw new ProviderNotRunningError({ home, reason: `the provider that wrote ${controlFilePath(home)} (pid ${file.pid}) has exited` })
  let response: Response
  try {
    response = await fetch(`${file.url}${path}`, {
      headers: { authorization: `Bearer ${file.token}` },
      signal: AbortSignal.any([AbortSignal.timeout(timeoutMs), ...(signal ? [signal] : [])]),
    })
  } catch (error) {
    throw new ProviderNotRunningError({ home, reason: `nothing answers at ${file.url}`, cause: error })
  }
  if (response.status === 401) throw new ControlTokenRejectedError({ home, url: file.url })
  const body = (await response.json().catch(() => undefined)) as { error?: { message?: string } } | undefined
  if (!response.ok || body === undefined) throw new ControlRequestError({ url: file.url, status: response.status, message: body?.error?.message ?? response.statusText })
  return body as Jsonified<T>
}
