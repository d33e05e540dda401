import { once } from 'node:events'
import { createInterface } from 'node:readline/promises'

/**
 * Asks a yes/no question on stderr and reads one line from stdin, a terminal or a
 * pipe alike. Anything but y/yes, and an input that ends first, is no.
 */
export async function confirm(question: string, { signal }: { signal?: AbortSignal } = {}): Promise<boolean> {
  const lines = createInterface({ input: process.stdin, output: process.stderr, terminal: Boolean(process.stdin.isTTY) })
  try {
    const answer = await Promise.race([lines.question(`${question} [y/N] `, signal ? { signal } : {}), once(lines, 'close').then(() => '')])
    return /^\s*y(es)?\s*$/i.test(answer)
  } catch {
    return false
  } finally {
    lines.close()
  }
}
