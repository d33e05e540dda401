// npm run test:mutation — applies each mutant below to a copy of AllotMarket.sol, runs the forge
// suite against it (fewer fuzz and invariant runs than `npm test`, stopping at the first failure),
// and counts the mutants the suite kills. Last line: {"mutants","killed","score"}.
// Each mutant is one rule bent the way a bug or a malicious change would bend it; a mutant that
// survives names a rule no test holds. The working tree is never touched: the suite runs in a
// temporary copy of the contracts.
import { spawn } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { foundryBinary } from '../../node/chain/foundry-binary.ts'

type Mutant = { name: string; find: string; replace: string }

const mutants: Mutant[] = [
  { name: 'openDeal skips the collateral-factor check', find: 'if (obligations > backing) revert InsufficientCollateral(obligations, backing);', replace: '' },
  { name: 'openDeal accepts self-deals', find: 'if (terms.client == terms.provider) revert SelfDeal(msg.sender);', replace: '' },
  { name: 'openDeal ignores the minimum duration', find: 'if (terms.deadline < block.timestamp + MIN_DURATION) {', replace: 'if (false) {' },
  { name: 'openDeal ignores the volatility cut', find: 'uint256 backing = _valueDown(pos.collateral, _price()).bpsDown(CF_BPS - _cutBps());', replace: 'uint256 backing = _valueDown(pos.collateral, _price()).bpsDown(CF_BPS);' },
  { name: 'settle keeps the obligation', find: '_releaseObligation(provider, terms.collateral, price);', replace: '_releaseObligation(provider, 0, price);' },
  { name: 'settleMany keeps the obligations', find: 'obligationReleased += word >> 152;', replace: '' },
  { name: 'settleMany ignores the challenge window', find: ' || block.timestamp < uint256(uint40(word >> 8)) + challengeWindow', replace: '' },
  { name: 'settleMany settles a deal twice', find: '            word = (word & ~uint256(0xff)) | uint8(DealStatus.Settled);\n            assembly ("memory-safe") {\n                sstore(d.slot, word)\n            }\n            // Below', replace: '            // Below' },
  { name: 'settlement credits no earnings', find: '(((word >> 128) + earned) << 128)', replace: '((word >> 128) << 128)' },
  { name: 'withdrawEarnings takes no fee', find: 'uint256 fee = earnings.bpsDown(PROTOCOL_FEE_BPS);', replace: 'uint256 fee = 0;' },
  { name: 'withdrawEarnings leaves the earnings', find: 'pos.earnings = 0;', replace: '' },
  { name: 'a client credit pays without being debited', find: 'credits[client] = credit - price;', replace: '' },
  { name: 'commitResult ignores the deadline', find: 'if (block.timestamp >= deadline) revert DeadlinePassed(uint64(deadline));', replace: '' },
  { name: 'a deal liquidation credits the keeper twice', find: '_vest(msg.sender, o.keeperPayment, o.keeperCollateral, vestedUntil);', replace: '_vest(msg.sender, 2 * o.keeperPayment, 2 * o.keeperCollateral, vestedUntil);' },
  { name: "the provider's compensation is claimable at once", find: '_vest(terms.client, o.clientPayment, o.clientCollateral, vestedUntil);', replace: '_credit(terms.client, o.clientPayment, o.clientCollateral);' },
  { name: 'the keeper bonus is claimable at once', find: '_vest(msg.sender, o.keeperPayment, o.keeperCollateral, vestedUntil);', replace: '_credit(msg.sender, o.keeperPayment, o.keeperCollateral);' },
  { name: 'vesting credits get no unlock time', find: 'word = unlockAt << 128;', replace: 'word = 0;' },
  { name: 'claim pays credits still vesting', find: 'if (word >> 128 <= block.timestamp) {', replace: 'if (true) {' },
  { name: 'one vesting bucket: a new window releases the last early', find: '_vesting[token][to][(unlockAt / UNBONDING_PERIOD) & 1];', replace: '_vesting[token][to][0];' },
  { name: 'anyone resolves disputes', find: 'if (msg.sender != arbiter) revert NotArbiter(msg.sender);', replace: '' },
  { name: 'the arbiter answers after its window', find: 'if (block.timestamp >= endsAt) revert ArbitrationWindowClosed(endsAt);', replace: '' },
  { name: 'an expired dispute closes early', find: 'if (block.timestamp < endsAt) revert ArbitrationWindowOpen(endsAt);', replace: '' },
  { name: 'an expired dispute keeps the bond', find: '_payOrCredit(paymentToken, terms.client, terms.price + bond);', replace: '_payOrCredit(paymentToken, terms.client, terms.price);' },
  { name: 'a defaulted deal is not refunded', find: '} else if (status == DealStatus.Defaulted) {\n            (o.owed, o.refund) = (terms.collateral, terms.price);', replace: '} else if (status == DealStatus.Defaulted) {\n            (o.owed, o.refund) = (terms.collateral, 0);' },
  { name: 'the keeper bonus ignores the clients', find: 'uint256 keeperWant = paidByProvider.bpsDown(KEEPER_BONUS_BPS).min(equity);', replace: 'uint256 keeperWant = paidByProvider.bpsDown(KEEPER_BONUS_BPS);' },
  { name: 'the insurance share counts the equity twice', find: '.min(equity - keeperWant);', replace: '.min(equity);' },
  { name: 'bonuses are paid before the client', find: '(o.clientPayment, o.clientCollateral, paidByProvider) = _take(provider, o.owed);', replace: '_take(provider, o.owed.bpsDown(KEEPER_BONUS_BPS + INSURANCE_BPS));\n        (o.clientPayment, o.clientCollateral, paidByProvider) = _take(provider, o.owed);' },
  { name: 'bad debt is not recorded', find: 'if (!o.deferred && o.remaining != 0) badDebt += o.remaining;', replace: '' },
  { name: 'collateral owed is rounded down', find: 'col = _toCollateralUp(rest, s.price);', replace: 'col = _toCollateralDown(rest, s.price);' },
  { name: 'healthy positions are liquidatable', find: 'if (hf >= WAD) revert PositionHealthy(hf);', replace: '' },
  { name: 'the close factor holds per call, not per block', find: '_closeFactor[provider].left -= uint192(amount);', replace: '' },
  { name: 'the position bonus is not capped at the equity', find: 'uint256 bonus = amount.bpsDown(LIQUIDATION_BONUS_BPS).min((value + coverage).zeroFloorSub(obligations));', replace: 'uint256 bonus = amount.bpsDown(LIQUIDATION_BONUS_BPS);' },
  { name: 'zero-seize liquidations are accepted', find: 'if (seized == 0 || amount == 0) revert NoCollateralToSeize(provider);', replace: 'if (amount == 0) revert NoCollateralToSeize(provider);' },
  { name: 'withdraw ignores the unbonding period', find: 'if (block.timestamp < withdrawableAt) revert WithdrawalLocked(withdrawableAt);', replace: '' },
  { name: 'withdraw skips the collateral-factor re-check', find: '_requireBacked(pos.obligations, pos.coverage, pos.collateral);', replace: '' },
  { name: 'a short market credits instead of reverting', find: '_requireHeld(token, amount);\n            claimable', replace: 'claimable' },
  { name: 'health factor ignores the volatility cut', find: 'bpsDown(LT_BPS - _cutBps()) + coverage;', replace: 'bpsDown(LT_BPS) + coverage;' },
  { name: 'creation skips the clients-first bound', find: 'if (uint256(p.collateralFactorBps) * (BPS + p.keeperBonusBps + p.insuranceBps) > BPS * BPS) {', replace: 'if (false) {' },
  { name: 'the fee recipient changes without the delay', find: 'if (block.timestamp < proposal.effectiveAt) revert FeeRecipientDelayNotPassed(proposal.effectiveAt);', replace: '' },
]

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const source = join('contracts', 'src', 'AllotMarket.sol')
const original = readFileSync(join(root, source), 'utf8')
/** Mutants run side by side in their own copies: `npm run test:mutation -- --jobs 3`. */
const jobs = Math.max(1, Number(process.argv[process.argv.indexOf('--jobs') + 1]) || 1)

const forge = foundryBinary('forge')
const env = {
  ...process.env,
  FOUNDRY_OPTIMIZER: 'false',
  FOUNDRY_DISABLE_CODE_SIZE_LIMIT: 'true',
  FOUNDRY_FUZZ_RUNS: '32',
  FOUNDRY_INVARIANT_RUNS: '6',
  FOUNDRY_INVARIANT_DEPTH: '60',
}

/**
 * A copy of what forge needs, so that the working tree stays as it is while mutants run. Built for speed:
 * no optimizer (about a third of the compile time; the size limit is lifted to match), no lint, no gas suite
 * (its figures are not rules), and the invariant suites at the run counts above instead of their own.
 */
function workspace(): string {
  const work = mkdtempSync(join(tmpdir(), 'allot-mutation-'))
  for (const path of ['foundry.toml', 'contracts/src', 'contracts/test', 'contracts/script', 'contracts/params', 'contracts/scripts/solc.cjs'])
    cpSync(join(root, path), join(work, path), { recursive: true })
  symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'))
  rmSync(join(work, 'contracts', 'test', 'Gas.t.sol'))
  const invariants = join(work, 'contracts', 'test', 'invariant', 'MarketInvariant.t.sol')
  writeFileSync(invariants, readFileSync(invariants, 'utf8').replace(/^\/\/\/ forge-config: default\.invariant\..*\n/gm, ''))
  writeFileSync(join(work, 'foundry.toml'), `${readFileSync(join(work, 'foundry.toml'), 'utf8')}\n[lint]\nlint_on_build = false\n`)
  return work
}

function run(work: string): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn(forge, ['test', '--fail-fast'], { cwd: work, env })
    let output = ''
    child.stdout.on('data', (chunk) => (output += chunk))
    child.stderr.on('data', (chunk) => (output += chunk))
    child.on('close', (status) => resolve({ status, output }))
  })
}

function mutate(mutant: Mutant): string {
  const at = original.indexOf(mutant.find)
  if (at < 0 || original.indexOf(mutant.find, at + 1) >= 0) throw new Error(`mutant "${mutant.name}": its text must occur exactly once in ${source}`)
  return original.slice(0, at) + mutant.replace + original.slice(at + mutant.find.length)
}

/** `--only 'TEXT|TEXT'`: just the mutants whose name contains one of the TEXTs (to re-check survivors after adding tests). */
const only = process.argv.includes('--only') ? process.argv[process.argv.indexOf('--only') + 1]?.split('|') : undefined
if (only) mutants.splice(0, mutants.length, ...mutants.filter(({ name }) => only.some((text) => name.includes(text))))

const works = Array.from({ length: Math.min(jobs, mutants.length) }, workspace)
try {
  for (const mutant of mutants) mutate(mutant)
  const baseline = await run(works[0]!)
  if (baseline.status !== 0) throw new Error(`the suite fails on the unmutated market:\n${baseline.output.slice(-3000)}`)
  console.log(`${mutants.length} mutants of ${source}, ${jobs} at a time\n`)
  let killed = 0
  let next = 0
  const worker = async (work: string) => {
    while (next < mutants.length) {
      const index = next++
      const mutant = mutants[index]!
      writeFileSync(join(work, source), mutate(mutant))
      const started = Date.now()
      const { status, output } = await run(work)
      // A mutant that does not compile is no evidence either way: counted as surviving, and said so.
      const compiled = !/Compiler run failed|Error \(\d+\)/.test(output)
      const dead = compiled && status !== 0
      if (dead) killed++
      const by = dead ? (/\[FAIL[^\]]*\] (\w+)/.exec(output)?.[1] ?? /Encountered a total of \d+ failing tests|failing test/.exec(output)?.[0] ?? 'a failing test') : compiled ? '—' : 'did not compile'
      console.log(`${String(index + 1).padStart(2)}. ${dead ? 'killed  ' : 'SURVIVED'} ${mutant.name.padEnd(52)} ${by} (${Math.round((Date.now() - started) / 1000)} s)`)
    }
  }
  await Promise.all(works.map(worker))
  console.log('')
  console.log(JSON.stringify({ mutants: mutants.length, killed, score: Number((killed / mutants.length).toFixed(3)) }))
} finally {
  for (const work of works) rmSync(work, { recursive: true, force: true })
}
