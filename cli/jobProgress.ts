import { formatUnits } from 'viem'
import type { JobProgress } from '../node/client/submitJob.ts'
import type { TokenInfo } from './connect.ts'
import type { Output } from './output.ts'

/**
 * Shows a submission's steps as they happen: one timestamped line per step, the
 * job's own output as it streams, and, while nothing matches, why (at most every
 * few seconds, so a wait is never silent and never floods the terminal).
 */
export function jobProgressPrinter(output: Output, payment: TokenInfo) {
  const amount = (value: bigint) => `${formatUnits(value, payment.decimals)} ${payment.symbol}`
  let lastWaiting = 0
  return (event: JobProgress) => {
    switch (event.step) {
      case 'bundled':
        return output.progress('bundled', `job ${event.jobHash.slice(0, 18)}… (${event.bytes} bytes)`)
      case 'waiting': {
        if (Date.now() - lastWaiting < 3_000) return
        lastWaiting = Date.now()
        const { result } = event
        const reasons = Object.entries(result.rejected)
          .filter(([, count]) => count > 0)
          .map(([criterion, count]) => `${count} ${criterion}`)
          .join(', ')
        return output.progress('matching', result.considered === 0 ? 'no asks in the book yet; waiting' : `${result.considered} asks, none fit (${reasons})${result.cheapestPrice !== undefined ? `; cheapest that would match: ${amount(result.cheapestPrice)}` : ''}`)
      }
      case 'negotiating':
        return output.progress('negotiating', `with ${event.provider} at ${amount(event.price)}`)
      case 'declined':
        return output.progress('declined', `${event.provider}: ${event.reason}`)
      case 'deal-sending':
        return output.progress('opening deal', `${event.dealId} (tx ${event.txHash}); remembered in this home`)
      case 'deal-opened':
        return output.progress('deal opened', `${event.dealId} (price ${amount(event.terms.price)}, collateral ${amount(event.terms.collateral)}, deadline ${new Date(Number(event.terms.deadline) * 1000).toLocaleString()})`)
      case 'running':
        return output.progress('running')
      case 'log':
        return output.info(`  ${event.entry.stream === 'stderr' ? '!' : '|'} ${new TextDecoder().decode(event.entry.data).trimEnd()}`)
      case 'result-committed':
        return output.progress('result committed', event.resultHash)
      case 'downloaded':
        return output.progress('downloaded', `${event.bytes} bytes, hash checked, exit code ${event.exitCode} → ${event.resultDir}`)
      case 'settled':
        return output.progress('settled', `tx ${event.txHash}`)
    }
  }
}
