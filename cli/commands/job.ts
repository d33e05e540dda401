import { readFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { formatEther, formatUnits, parseEventLogs, parseUnits, type Hex } from 'viem'
import { allotMarketAbi } from '../../contracts/abi/index.ts'
import { dispute } from '../../node/chain/actions/dispute.ts'
import { ensureAllowance } from '../../node/chain/actions/ensureAllowance.ts'
import { liquidateDeal } from '../../node/chain/actions/liquidateDeal.ts'
import { getDeal, type DealStatusName } from '../../node/chain/actions/readMarket.ts'
import { ChainUnreachableError } from '../../node/chain/errors.ts'
import { chainNow, deadlinePassed } from '../../node/chain/chainNow.ts'
import { listClientDeals, readClientDeal, saveClientDeal, type ClientDeal } from '../../node/client/clientDeals.ts'
import { collectResult } from '../../node/client/collectResult.ts'
import { getDealOutcome } from '../../node/client/dealOutcome.ts'
import { checkBeforePaying } from '../../node/client/checkBeforePaying.ts'
import { DisputeNotConfirmedError, JobFailedError, SubmitTimeoutError } from '../../node/client/errors.ts'
import { findDealTerms, prepareDispute } from '../../node/client/prepareDispute.ts'
import { reconcileClientDeal } from '../../node/client/reconcileClientDeal.ts'
import { submitJob } from '../../node/client/submitJob.ts'
import { hashFile } from '../../node/transfer/fetchBundle.ts'
import type { CommandSpec } from '../command.ts'
import { connect, type Connection } from '../connect.ts'
import { settingsForDeal } from '../dealSettings.ts'
import { formatToken } from './balance.ts'
import { confirm } from '../confirm.ts'
import { UsageError } from '../errors.ts'
import { jobProgressPrinter } from '../jobProgress.ts'
import { startCliNode } from '../startCliNode.ts'
import { parseInteger } from './parse.ts'
import { BaseError } from '../../protocol/errors/base.ts'
import { parseFailureNote } from '../../protocol/job/failureNote.ts'

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
      output.detail(1, `balance ${formatUnits(funds.balance, connection.tokens.payment.decimals)} ${connection.tokens.payment.symbol}, credit in the market ${formatUnits(funds.credit, connection.tokens.payment.decimals)}, allowance ${formatUnits(funds.allowance, connection.tokens.payment.decimals)}, gas coin ${formatEther(funds.gas)}`)
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
      if (exitCode !== 0) {
        const failure = parseFailureNote(await readFile(join(deal.resultDir, 'stderr'), 'utf8').catch(() => ''))
        throw new JobFailedError({ dealId: deal.dealId, exitCode: exitCode ?? -1, resultDir: deal.resultDir, failure })
      }
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
      const { node, connection } = await startCliNode({ ...context, settings: settingsForDeal(settings, deal) })
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
    const remembered = await findDeal(settings.home, id)
    const { clients, deployment, tokens } = await connect(settingsForDeal(settings, remembered), resolved, { reads: 'anyone' })
    const deal = await reconcileClientDeal(clients, { home: settings.home, deployment, deal: remembered })
    const onChain = await getDeal(clients, { deployment, dealId: deal.dealId, provider: deal.terms.provider })
    const overdue = onChain.statusName === 'Open' && (await deadlinePassed(clients, deal.terms.deadline)).passed
    const outcome = onChain.statusName === 'Liquidated' ? await getDealOutcome(clients, { deployment, dealId: deal.dealId }) : undefined
    const amount = (value: bigint) => `${formatUnits(value, tokens.payment.decimals)} ${tokens.payment.symbol}`
    const hint = overdue ? `The provider missed its deadline: run \`allot job cancel ${deal.dealId}\` to liquidate the deal and be refunded with compensation, if no keeper has yet.` : undefined
    output.result({ ...describe(deal, deal.exitCode), chain: { status: onChain.statusName, committedAt: onChain.statusName === 'Committed' ? onChain.time : undefined }, overdue, outcome, hint }, () =>
      [
        `deal        ${deal.dealId}`,
        `market      ${deployment.market}`,
        `state       ${deal.state} (on chain: ${onChain.statusName}${overdue ? ', past its deadline' : ''})`,
        `provider    ${deal.terms.provider}`,
        `price       ${amount(deal.terms.price)}, collateral ${amount(deal.terms.collateral)}`,
        `deadline    ${new Date(Number(deal.terms.deadline) * 1000).toLocaleString()}`,
        `result      ${deal.resultHash ?? '—'}${deal.exitCode !== undefined ? ` (exit code ${deal.exitCode})` : ''}`,
        ...(outcome ? [`refunded    ${amount(outcome.refund)} + ${amount(outcome.compensation)} of compensation from the provider's stake, claimable from ${new Date(Number(outcome.vestedUntil) * 1000).toLocaleString()} (liquidated by ${outcome.keeper}, tx ${outcome.txHash}; \`allot claim\` sends them)`] : []),
        ...(hint ? ['', hint] : []),
      ].join('\n'),
    )
  },
}

// `missing`: the chain has no such deal (its transaction never landed, or the chain was reset).
const listStates = ['open', 'overdue', 'committed', 'disputed', 'defaulted', 'liquidating', 'settled', 'liquidated', 'missing'] as const
type ListState = (typeof listStates)[number]

const parseListState = (value: string): ListState => {
  if (!(listStates as readonly string[]).includes(value)) throw new UsageError(`--state takes ${listStates.join(', ')}; "${value}" is none of them.`)
  return value as ListState
}

export const jobList: CommandSpec = {
  path: ['job', 'list'],
  summary: 'the deals opened from this home, newest first, with their state on chain',
  options: [
    { flags: '--state <state>', description: `only deals in this state on chain: ${listStates.join(', ')}`, parse: parseListState },
    { flags: '--limit <n>', description: 'only the newest N deals', parse: parseInteger('--limit', 1, 1_000_000) },
  ],
  examples: ['allot job list', 'allot job list --state open', 'allot job list --limit 5 --json'],
  async run(_args, options, { settings, resolved, output }) {
    const deals = (await listClientDeals(settings.home)).reverse()
    // The chain is the truth about a deal; without it the list still shows what this home knows.
    let chain: { states: ListState[]; tokens: Connection['tokens'] } | undefined
    let unreachable: ChainUnreachableError | undefined
    try {
      const { clients, deployment, tokens } = await connect(settings, resolved, { reads: 'anyone' })
      const now = await chainNow(clients)
      // Each deal on the market it was opened on (a home can trade in several).
      const onChain = await Promise.all(deals.map((deal) => getDeal(clients, { deployment: { market: deal.market ?? deployment.market }, dealId: deal.dealId })))
      chain = { tokens, states: onChain.map((state, index) => listState(state.statusName, now > Number(deals[index]!.terms.deadline))) }
    } catch (error) {
      if (!(error instanceof ChainUnreachableError)) throw error
      unreachable = error
    }
    if (options.state !== undefined && unreachable) throw unreachable
    const rows = deals
      .map((deal, index) => ({ ...describe(deal, deal.exitCode), stateOnChain: chain?.states[index] ?? null }))
      .filter((row) => options.state === undefined || row.stateOnChain === options.state)
      .slice(0, (options.limit as number | undefined) ?? Infinity)
    output.result(rows, (list) => {
      if (list.length === 0) return deals.length === 0 ? 'no deals yet: `allot job submit FOLDER` runs one' : `no deals ${options.state ? `in state ${options.state}` : ''}`.trim()
      const price = (amount: bigint) => (chain ? formatToken(amount, chain.tokens.payment) : `${amount} units`)
      const columns = [14, 12, 5, 18, 13]
      const line = (cells: string[]) => cells.map((cell, index) => cell.padEnd(columns[index] ?? 0)).join(' ').trimEnd()
      return [
        line(['DEAL', 'STATE', 'EXIT', 'PRICE', 'PROVIDER', 'OPENED']),
        ...list.map((deal) =>
          line([deal.dealId.slice(0, 14), deal.stateOnChain ?? `${deal.state}?`, deal.exitCode === undefined ? '—' : String(deal.exitCode), price(deal.price), `${deal.provider.slice(0, 10)}…`, new Date(deal.openedAt).toLocaleString()]),
        ),
        ...(unreachable ? ['', `${unreachable.shortMessage} A state with "?" is what this home last saw, not the chain.`] : []),
      ].join('\n')
    })
  },
}

/** A deal's state on chain in the list's words: an open deal past its deadline is `overdue`. */
function listState(status: DealStatusName, pastDeadline: boolean): ListState {
  if (status === 'None') return 'missing'
  if (status === 'Open') return pastDeadline ? 'overdue' : 'open'
  return status.toLowerCase() as ListState
}

export const jobDispute: CommandSpec = {
  path: ['job', 'dispute'],
  summary: 'dispute a committed result inside the challenge window, posting the dispute bond (shown first)',
  arguments: ['<deal-id>'],
  options: [{ flags: '-y, --yes', description: 'post the bond without asking (for scripts)' }],
  examples: ['allot job dispute 0x3f2a…', 'allot job dispute 0x3f2a --yes --json'],
  async run([id], options, { settings, resolved, output, signal }) {
    // A deal opened from another home is found by its full id in the chain's DealOpened event.
    const local = await findDeal(settings.home, id).catch((error) => {
      if (/^0x[0-9a-fA-F]{64}$/.test(id ?? '')) return undefined
      throw error
    })
    const { clients, deployment, tokens } = await connect(settingsForDeal(settings, local), resolved)
    const dealId = (local?.dealId ?? id) as Hex
    const terms = local?.terms ?? (await findDealTerms(clients, { deployment, dealId }))
    if (!terms) throw new DealUnknownError(dealId)
    const prepared = await prepareDispute(clients, { deployment, dealId, terms, token: tokens.payment })
    const pay = (amount: bigint) => formatToken(amount, tokens.payment)
    output.info(
      [
        `deal          ${dealId}`,
        `price         ${pay(terms.price)}`,
        `dispute bond  ${pay(prepared.bond)} (${prepared.disputeBondBps / 100}% of the price), from your balance of ${pay(prepared.balance)}`,
        `window        open until ${new Date(Number(prepared.windowEndsAt) * 1000).toLocaleString()}`,
        'The arbiter decides: if the provider is at fault you get the bond back and the deal is liquidated (refund and compensation);',
        'if not, the provider is paid and keeps your bond.',
      ].join('\n'),
    )
    if (!options.yes && !(await confirm(`Post ${pay(prepared.bond)} and dispute deal ${dealId.slice(0, 10)}…?`, { signal }))) throw new DisputeNotConfirmedError({ dealId })
    // Exactly the bond, never more: an allowance already large enough is left alone.
    const approval = await ensureAllowance(clients, { token: deployment.paymentToken, spender: deployment.market, amount: prepared.bond, approve: prepared.bond, signal })
    const tx = await dispute(clients, { deployment, terms, signal })
    if (local) await saveClientDeal(settings.home, { ...local, txs: { ...local.txs, dispute: tx.hash } })
    output.result({ dealId, bond: prepared.bond, tx: tx.hash, approvalTx: approval?.hash, gasUsed: tx.gasUsed }, () =>
      `disputed ${dealId}: ${pay(prepared.bond)} bond posted (tx ${tx.hash}); \`allot job status ${dealId.slice(0, 10)}\` shows the arbiter's decision`,
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
      const { node } = await startCliNode({ ...context, settings: settingsForDeal(settings, deal) })
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
    const remembered = await findDeal(settings.home, id)
    const { clients, deployment, tokens } = await connect(settingsForDeal(settings, remembered), resolved)
    const deal = await reconcileClientDeal(clients, { home: settings.home, deployment, deal: remembered })
    if (deal.state === 'opening' || deal.state === 'abandoned') throw new DealNeverOpenedError(deal)
    const onChain = await getDeal(clients, { deployment, dealId: deal.dealId })
    if (onChain.statusName === 'Liquidated') throw new UsageError(`Deal ${deal.dealId} is already liquidated: you were refunded.`, { hint: 'See `allot job status`.' })
    const { passed, head } = await deadlinePassed(clients, deal.terms.deadline)
    if (onChain.statusName === 'Open' && !passed)
      throw new DeadlineAheadError({ dealId: deal.dealId, deadline: deal.terms.deadline, seconds: Number(deal.terms.deadline - head) })
    const tx = await liquidateDeal(clients, { deployment, terms: deal.terms, signal })
    await saveClientDeal(settings.home, { ...deal, state: 'refunded', txs: { ...deal.txs, liquidateDeal: tx.hash } })
    // The compensation comes from the provider's stake, so it vests like a withdrawal would.
    const [liquidated] = parseEventLogs({ abi: allotMarketAbi, eventName: 'DealLiquidated', logs: tx.receipt.logs })
    const claimableFrom = liquidated?.args.vestedUntil
    output.result({ dealId: deal.dealId, tx: tx.hash, refunded: deal.terms.price, compensation: deal.terms.collateral, claimableFrom }, () =>
      `liquidated ${deal.dealId}: ${formatUnits(deal.terms.price, tokens.payment.decimals)} ${tokens.payment.symbol} refunded, ${formatUnits(deal.terms.collateral, tokens.payment.decimals)} ${tokens.payment.symbol} of compensation from the provider's stake${claimableFrom ? `, claimable from ${new Date(Number(claimableFrom) * 1000).toLocaleString()}` : ''} (tx ${tx.hash}; \`allot claim\` sends them)`,
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
  return { dealId: deal.dealId, market: deal.market ?? null, state: deal.state, provider: deal.terms.provider, price: deal.terms.price, collateral: deal.terms.collateral, resultDir: deal.resultDir, resultHash: deal.resultHash, exitCode, openedAt: deal.openedAt, txs: deal.txs }
}
