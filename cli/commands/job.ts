import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { formatEther, formatUnits, parseUnits } from 'viem'
import { liquidateDeal } from '../../node/chain/actions/liquidateDeal.ts'
import { getDeal } from '../../node/chain/actions/readMarket.ts'
import { deadlinePassed } from '../../node/chain/chainNow.ts'
import { listClientDeals, readClientDeal, saveClientDeal, type ClientDeal } from '../../node/client/clientDeals.ts'
import { collectResult } from '../../node/client/collectResult.ts'
import { getDealOutcome } from '../../node/client/dealOutcome.ts'
import { checkBeforePaying } from '../../node/client/checkBeforePaying.ts'
import { JobFailedError, SubmitTimeoutError } from '../../node/client/errors.ts'
import { reconcileClientDeal } from '../../node/client/reconcileClientDeal.ts'
import { submitJob } from '../../node/client/submitJob.ts'
import { hashFile } from '../../node/transfer/fetchBundle.ts'
import type { CommandSpec } from '../command.ts'
import { connect } from '../connect.ts'
import { UsageError } from '../errors.ts'
import { jobProgressPrinter } from '../jobProgress.ts'
import { startCliNode } from '../startCliNode.ts'
import { parseInteger } from './parse.ts'
import { BaseError } from '../../protocol/errors/base.ts'

class DealUnknownError extends BaseError {
  override name = 'DealUnknownError'
  constructor(id: string) {
    super(`No deal ${id} in this home.`, { hint: 'List your deals with `allot job list`; deal ids may be abbreviated to a unique prefix.' })
  }
}

const unfinished = (deal: ClientDeal) => deal.state === 'opening' || deal.state === 'opened' || deal.state === 'running' || deal.state === 'committed'

/** Terms remembered before `openDeal` was sent, that the chain never opened. */
class DealNeverOpenedError extends BaseError {
  override name = 'DealNeverOpenedError'
  constructor(deal: ClientDeal) {
    super(
      deal.state === 'abandoned'
        ? `Deal ${deal.dealId.slice(0, 10)}… was never opened on chain and its terms have expired: nothing was paid.`
        : `Deal ${deal.dealId.slice(0, 10)}… is not open on chain yet${deal.txs.openDeal ? ` (transaction ${deal.txs.openDeal} pending)` : ' (its transaction was never sent)'}; its terms expire ${new Date(Number(deal.terms.expiry) * 1000).toLocaleString()}.`,
      { hint: deal.state === 'abandoned' ? 'Submit the job again with `allot job submit`.' : 'Run the command again shortly; if the terms expire unopened, nothing is paid.' },
    )
  }
}

class DeadlineAheadError extends BaseError {
  override name = 'DeadlineAheadError'
  constructor({ dealId, deadline, seconds }: { dealId: string; deadline: bigint; seconds: number }) {
    super(`Deal ${dealId.slice(0, 10)}… is not past its deadline yet: ${seconds} s to go by the chain's clock (${new Date(Number(deadline) * 1000).toLocaleString()}).`, {
      hint: 'The provider may still deliver. Run `allot job cancel` again after the deadline; a running keeper liquidates it at once by itself.',
    })
  }
}

async function findDeal(home: string, id: string | undefined): Promise<ClientDeal> {
  if (!id) throw new UsageError('Give a deal id (see `allot job list`).')
  const exact = await readClientDeal(home, id)
  if (exact) return exact
  const matches = (await listClientDeals(home)).filter((deal) => deal.dealId.toLowerCase().startsWith(id.toLowerCase()))
  if (matches.length !== 1) throw new DealUnknownError(id)
  return matches[0]!
}

export const jobSubmit: CommandSpec = {
  path: ['job', 'submit'],
  summary: 'run a job on the market: check you can pay, match, negotiate, open the deal, follow it, fetch and check the result, settle',
  arguments: ['<folder>'],
  options: [
    { flags: '--max-price <amount>', description: 'the most you will pay, in payment tokens (e.g. 0.5)', defaultValue: '1' },
    { flags: '--timeout <seconds>', description: 'give up the whole journey after this time (default: 60 s to match, then until the deal’s deadline)', parse: parseInteger('--timeout', 1, 86_400) },
    { flags: '--no-wait', description: 'print the deal id once the deal is open and exit; `allot job result ID` finishes it' },
    { flags: '--no-settle', description: 'do not settle after checking the result (anyone may after the challenge window)' },
    { flags: '--approve-max', description: 'approve the market for all your payment tokens once, instead of exactly each deal’s price' },
    { flags: '--result-dir <dir>', description: 'where to write the result folder (default <home>/results/<deal id>)' },
  ],
  examples: ['allot job submit ./examples/checksum', 'allot job submit ./job --max-price 0.05 --bootstrap /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW…', 'allot job submit ./job --no-wait --json', 'allot job submit ./job --timeout 300'],
  async run([folder], options, context) {
    const { output, settings } = context
    const maxPriceText = String(options.maxPrice)
    if (!/^\d+(\.\d+)?$/.test(maxPriceText)) throw new UsageError(`--max-price must be an amount of payment tokens, not "${maxPriceText}".`)
    const timeout = options.timeout as number | undefined
    const signal = timeout === undefined ? context.signal : AbortSignal.any([context.signal, AbortSignal.timeout(timeout * 1000)])
    const { node, connection } = await startCliNode(context, { syncOnStart: true })
    let dealId: string | undefined
    try {
      const maxPrice = parseUnits(maxPriceText, connection.tokens.payment.decimals)
      // Before any provider is asked: can this account pay for what it bids?
      const funds = await checkBeforePaying(connection.clients, { deployment: connection.deployment, maxPrice, payment: connection.tokens.payment })
      output.detail(1, `balance ${formatUnits(funds.balance, connection.tokens.payment.decimals)} ${connection.tokens.payment.symbol}, allowance ${formatUnits(funds.allowance, connection.tokens.payment.decimals)}, gas coin ${formatEther(funds.gas)}`)
      const printer = output.json && options.wait === false ? undefined : jobProgressPrinter(output, connection.tokens.payment)
      const { deal, exitCode } = await submitJob(
        { host: node.host, clients: node.clients, deployment: node.deployment, book: node.book, jobs: node.jobs, chain: node.chain },
        {
          home: settings.home,
          folder: resolve(String(folder)),
          maxPrice,
          matchTimeoutMs: (timeout ?? 60) * 1000,
          wait: options.wait !== false,
          settle: options.settle !== false,
          approveMax: Boolean(options.approveMax),
          ...(options.resultDir ? { resultDir: resolve(String(options.resultDir)) } : {}),
          onProgress: (event) => {
            if (event.step === 'deal-sending') dealId = event.dealId
            printer?.(event)
          },
          signal,
        },
      )
      if (options.wait === false) return output.result({ dealId: deal.dealId }, () => deal.dealId)
      if (exitCode !== 0) throw new JobFailedError({ dealId: deal.dealId, exitCode: exitCode ?? -1, resultDir: deal.resultDir })
      output.result(describe(deal, exitCode), () => `result in ${deal.resultDir} (exit code ${exitCode})`)
    } catch (error) {
      if (timeout !== undefined && signal.aborted && !context.signal.aborted) throw new SubmitTimeoutError({ seconds: timeout, dealId })
      throw error
    } finally {
      await node.stop()
    }
  },
}

export const jobResult: CommandSpec = {
  path: ['job', 'result'],
  summary: 'print where a deal’s result folder is and its hash; fetches, checks and settles it first if needed',
  arguments: ['<deal-id>'],
  examples: ['allot job result 0x3f2a…', 'allot job result 0x3f2a --json'],
  async run([id], _options, context) {
    const { output, settings, signal } = context
    let deal = await findDeal(settings.home, id)
    if (unfinished(deal)) {
      const { node, connection } = await startCliNode(context)
      try {
        deal = await reconcileClientDeal(node.clients, { home: settings.home, deployment: node.deployment, deal })
        if (unfinished(deal) && deal.state !== 'opening')
          deal = (await collectResult({ host: node.host, clients: node.clients, deployment: node.deployment }, { home: settings.home, deal, onProgress: jobProgressPrinter(output, connection.tokens.payment), signal })).deal
      } finally {
        await node.stop()
      }
    }
    if (deal.state === 'opening' || deal.state === 'abandoned') throw new DealNeverOpenedError(deal)
    if (deal.state === 'refunded') throw new UsageError(`Deal ${deal.dealId} was liquidated: there is no result, and you were refunded.`, { hint: `See the refund with \`allot job status ${deal.dealId.slice(0, 10)}\`.` })
    const bundleHash = await hashFile(`${deal.resultDir}.bundle`).catch(() => undefined)
    output.result({ ...describe(deal, deal.exitCode), bundleHash }, () => `${deal.resultDir}\nresult hash ${deal.resultHash ?? '(none yet)'} (bundle ${bundleHash ?? 'missing'})\nexit code ${deal.exitCode ?? '?'}`)
  },
}

export const jobStatus: CommandSpec = {
  path: ['job', 'status'],
  summary: 'a deal’s state here and on chain',
  arguments: ['<deal-id>'],
  examples: ['allot job status 0x3f2a…', 'allot job status 0x3f2a --json'],
  async run([id], _options, { settings, resolved, output }) {
    const { clients, deployment, tokens } = await connect(settings, resolved)
    const deal = await reconcileClientDeal(clients, { home: settings.home, deployment, deal: await findDeal(settings.home, id) })
    const onChain = await getDeal(clients, { deployment, dealId: deal.dealId })
    const overdue = onChain.statusName === 'Open' && (await deadlinePassed(clients, deal.terms.deadline)).passed
    const outcome = onChain.statusName === 'Liquidated' ? await getDealOutcome(clients, { deployment, dealId: deal.dealId }) : undefined
    const amount = (value: bigint) => `${formatUnits(value, tokens.payment.decimals)} ${tokens.payment.symbol}`
    const hint = overdue ? `The provider missed its deadline: run \`allot job cancel ${deal.dealId}\` to liquidate the deal and be refunded with compensation, if no keeper has yet.` : undefined
    output.result({ ...describe(deal, deal.exitCode), chain: { status: onChain.statusName, committedAt: onChain.committedAt }, overdue, outcome, hint }, () =>
      [
        `deal        ${deal.dealId}`,
        `state       ${deal.state} (on chain: ${onChain.statusName}${overdue ? ', past its deadline' : ''})`,
        `provider    ${deal.terms.provider}`,
        `price       ${amount(deal.terms.price)}, collateral ${amount(deal.terms.collateral)}`,
        `deadline    ${new Date(Number(deal.terms.deadline) * 1000).toLocaleString()}`,
        `result      ${deal.resultHash ?? '—'}${deal.exitCode !== undefined ? ` (exit code ${deal.exitCode})` : ''}`,
        ...(outcome ? [`refunded    ${amount(outcome.refund)} + ${amount(outcome.compensation)} of compensation from the provider's stake (liquidated by ${outcome.keeper}, tx ${outcome.txHash})`] : []),
        ...(hint ? ['', hint] : []),
      ].join('\n'),
    )
  },
}

export const jobList: CommandSpec = {
  path: ['job', 'list'],
  summary: 'the deals opened from this home',
  examples: ['allot job list', 'allot job list --json'],
  async run(_args, _options, { settings, output }) {
    const deals = await listClientDeals(settings.home)
    output.result(
      deals.map((deal) => describe(deal, deal.exitCode)),
      (list) => (list.length === 0 ? 'no deals yet' : list.map((deal) => `${deal.dealId}  ${deal.state.padEnd(10)}  ${deal.provider}  ${new Date(deal.openedAt).toISOString()}`).join('\n')),
    )
  },
}

export const jobLogs: CommandSpec = {
  path: ['job', 'logs'],
  summary: 'a job’s output; -f follows it live while the job runs',
  arguments: ['<deal-id>'],
  options: [
    { flags: '-f, --follow', description: 'follow the output of a running job' },
    { flags: '--tail <lines>', description: 'only the last N lines', parse: parseInteger('--tail', 0, 10_000_000) },
  ],
  examples: ['allot job logs 0x3f2a', 'allot job logs 0x3f2a -f', 'allot job logs 0x3f2a --tail 20'],
  async run([id], options, context) {
    const { settings, output, signal } = context
    let deal = await findDeal(settings.home, id)
    if (options.follow && unfinished(deal)) {
      const { node } = await startCliNode(context)
      const lines = tailFollower(output, options.tail as number | undefined)
      try {
        deal = await reconcileClientDeal(node.clients, { home: settings.home, deployment: node.deployment, deal })
        if (deal.state === 'opening' || deal.state === 'abandoned') throw new DealNeverOpenedError(deal)
        if (unfinished(deal))
          deal = (await collectResult({ host: node.host, clients: node.clients, deployment: node.deployment }, { home: settings.home, deal, onProgress: (event) => event.step === 'log' && lines.push(new TextDecoder().decode(event.entry.data).trimEnd()), signal })).deal
      } finally {
        lines.flush()
        await node.stop()
      }
      if (deal.exitCode !== undefined) return
    }
    const read = (name: string) => readFile(join(deal.resultDir, name), 'utf8').catch(() => '')
    const [stdout, stderr] = await Promise.all([read('stdout'), read('stderr')])
    const tail = (text: string) => (options.tail === undefined ? text : text.split('\n').slice(-(options.tail as number) - 1).join('\n'))
    output.result({ dealId: deal.dealId, stdout: tail(stdout), stderr: tail(stderr) }, () => (stdout || stderr ? `${tail(stdout)}${stderr ? `\n--- stderr ---\n${tail(stderr)}` : ''}` : 'no output yet (the result has not been fetched; try -f)'))
  },
}

export const jobCancel: CommandSpec = {
  path: ['job', 'cancel'],
  summary: 'liquidate a deal whose provider missed its deadline: your payment back plus its collateral',
  arguments: ['<deal-id>'],
  examples: ['allot job cancel 0x3f2a…'],
  async run([id], _options, { settings, resolved, output, signal }) {
    const { clients, deployment, tokens } = await connect(settings, resolved)
    const deal = await reconcileClientDeal(clients, { home: settings.home, deployment, deal: await findDeal(settings.home, id) })
    if (deal.state === 'opening' || deal.state === 'abandoned') throw new DealNeverOpenedError(deal)
    const onChain = await getDeal(clients, { deployment, dealId: deal.dealId })
    if (onChain.statusName === 'Liquidated') throw new UsageError(`Deal ${deal.dealId} is already liquidated: you were refunded.`, { hint: 'See `allot job status`.' })
    const { passed, head } = await deadlinePassed(clients, deal.terms.deadline)
    if (onChain.statusName === 'Open' && !passed)
      throw new DeadlineAheadError({ dealId: deal.dealId, deadline: deal.terms.deadline, seconds: Number(deal.terms.deadline - head) })
    const tx = await liquidateDeal(clients, { deployment, terms: deal.terms, signal })
    await saveClientDeal(settings.home, { ...deal, state: 'refunded', txs: { ...deal.txs, liquidateDeal: tx.hash } })
    output.result({ dealId: deal.dealId, tx: tx.hash, refunded: deal.terms.price, compensation: deal.terms.collateral }, () =>
      `liquidated ${deal.dealId}: ${formatUnits(deal.terms.price, tokens.payment.decimals)} ${tokens.payment.symbol} refunded, ${formatUnits(deal.terms.collateral, tokens.payment.decimals)} ${tokens.payment.symbol} of compensation from the provider's stake (tx ${tx.hash})`,
    )
  },
}

/**
 * With `--tail N`, `-f` first shows only the last N lines of what the job printed so far
 * (the backlog arrives in one burst; it is over when 300 ms pass without a line), then every new line.
 */
function tailFollower(output: { info: (text: string) => void }, tail: number | undefined) {
  let backlog: string[] | undefined = tail === undefined ? undefined : []
  let timer: NodeJS.Timeout | undefined
  const flush = () => {
    clearTimeout(timer)
    if (backlog) for (const line of tail === 0 ? [] : backlog.slice(-tail!)) output.info(line)
    backlog = undefined
  }
  return {
    push: (text: string) => {
      if (!backlog) return output.info(text)
      backlog.push(...text.split('\n'))
      clearTimeout(timer)
      timer = setTimeout(flush, 300)
    },
    flush,
  }
}

function describe(deal: ClientDeal, exitCode: number | undefined) {
  return { dealId: deal.dealId, state: deal.state, provider: deal.terms.provider, price: deal.terms.price, collateral: deal.terms.collateral, resultDir: deal.resultDir, resultHash: deal.resultHash, exitCode, openedAt: deal.openedAt, txs: deal.txs }
}
