// npm run test:mutation — applies each mutant below to a copy of AllotMarket.sol, runs the forge
// suite against it (fewer fuzz and invariant runs than `npm test`, stopping at the first failure),
// and counts the mutants the suite kills. Last line: {"mutants","killed","score"}.
// Each mutant is one rule bent the way a bug or a malicious change would bend it; a mutant that
// survives names a rule no test holds. The working tree is never touched: the suite runs in a
// temporary copy of the contracts.
import { spawnSync } from 'node:child_process'
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
  { name: 'openDeal lets anyone open for the client', find: 'if (msg.sender != terms.client) revert NotClient(msg.sender);\n        if (terms.client', replace: 'if (terms.client' },
  { name: 'openDeal ignores the volatility cut', find: 'uint256 backing = _valueDown(pos.collateral, _price()).bpsDown(CF_BPS - _cutBps());', replace: 'uint256 backing = _valueDown(pos.collateral, _price()).bpsDown(CF_BPS);' },
  { name: 'settle keeps the obligation', find: 'uint256 released = _releaseObligation(terms.provider, terms.collateral);\n        if (fee != 0) _totals.feesAccrued = _toUint128(_totals.feesAccrued + fee);\n        d.status = DealStatus.Settled;', replace: 'uint256 released = _releaseObligation(terms.provider, 0);\n        if (fee != 0) _totals.feesAccrued = _toUint128(_totals.feesAccrued + fee);\n        d.status = DealStatus.Settled;' },
  { name: 'settle rounds the fee up', find: 'uint256 fee = uint256(terms.price).bpsDown(PROTOCOL_FEE_BPS);\n        uint256 providerAmount = terms.price - fee;\n        uint256 released = _releaseObligation(terms.provider, terms.collateral);\n        if (fee != 0)', replace: 'uint256 fee = uint256(terms.price).bpsUp(PROTOCOL_FEE_BPS);\n        uint256 providerAmount = terms.price - fee;\n        uint256 released = _releaseObligation(terms.provider, terms.collateral);\n        if (fee != 0)' },
  { name: 'settle ignores the challenge window', find: 'if (block.timestamp < endsAt) revert ChallengeWindowOpen(endsAt);', replace: '' },
  { name: 'settleMany keeps the obligations', find: 'obligationReleased += t.collateral;', replace: '' },
  { name: 'dispute after the challenge window', find: 'if (block.timestamp >= endsAt) revert ChallengeWindowClosed(endsAt);', replace: '' },
  { name: 'anyone resolves disputes', find: 'if (msg.sender != arbiter) revert NotArbiter(msg.sender);', replace: '' },
  { name: 'the arbiter answers after its window', find: 'if (block.timestamp >= endsAt) revert ArbitrationWindowClosed(endsAt);', replace: '' },
  { name: 'an expired dispute closes early', find: 'if (block.timestamp < endsAt) revert ArbitrationWindowOpen(endsAt);', replace: '' },
  { name: 'an expired dispute keeps the bond', find: '_payOrCredit(paymentToken, terms.client, terms.price + bond);', replace: '_payOrCredit(paymentToken, terms.client, terms.price);' },
  { name: 'a defaulted deal is not refunded', find: '} else if (status == DealStatus.Defaulted) {\n            (o.owed, o.refund) = (terms.collateral, terms.price);', replace: '} else if (status == DealStatus.Defaulted) {\n            (o.owed, o.refund) = (terms.collateral, 0);' },
  { name: 'the keeper bonus ignores the clients', find: 'uint256 keeperWant = paidByProvider.bpsDown(KEEPER_BONUS_BPS).min(equity);', replace: 'uint256 keeperWant = paidByProvider.bpsDown(KEEPER_BONUS_BPS);' },
  { name: 'the insurance share counts the equity twice', find: '.min(equity - keeperWant);', replace: '.min(equity);' },
  { name: 'bonuses are paid before the client', find: '(uint256 pay, uint256 col, uint256 paidByProvider) = _take(provider, o.owed);', replace: '_take(provider, o.owed.bpsDown(KEEPER_BONUS_BPS + INSURANCE_BPS));\n        (uint256 pay, uint256 col, uint256 paidByProvider) = _take(provider, o.owed);' },
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
  { name: 'coverage above obligations is not released', find: 'released = coverage - obligations;', replace: 'released = 0;' },
  { name: 'fee-on-transfer tokens are accepted', find: 'if (received != amount) revert FeeOnTransferUnsupported(amount, received);', replace: '' },
]

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const source = join('contracts', 'src', 'AllotMarket.sol')
const original = readFileSync(join(root, source), 'utf8')

// A copy of what forge needs, so that the working tree stays as it is while mutants run.
const work = mkdtempSync(join(tmpdir(), 'allot-mutation-'))
for (const path of ['foundry.toml', 'contracts/src', 'contracts/test', 'contracts/params', 'contracts/scripts/solc.cjs']) cpSync(join(root, path), join(work, path), { recursive: true })
symlinkSync(join(root, 'node_modules'), join(work, 'node_modules'))

const forge = foundryBinary('forge')
const env = { ...process.env, FOUNDRY_FUZZ_RUNS: '32', FOUNDRY_INVARIANT_RUNS: '6', FOUNDRY_INVARIANT_DEPTH: '60' }
// The gas figures are not rules; everything else runs.
const run = () => spawnSync(forge, ['test', '--fail-fast', '--no-match-contract', '^Gas'], { cwd: work, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })

try {
  const baseline = run()
  if (baseline.status !== 0) throw new Error(`the suite fails on the unmutated market:\n${(baseline.stdout + baseline.stderr).slice(-3000)}`)
  let killed = 0
  console.log(`${mutants.length} mutants of ${source}\n`)
  for (const [index, mutant] of mutants.entries()) {
    const at = original.indexOf(mutant.find)
    if (at < 0 || original.indexOf(mutant.find, at + 1) >= 0) throw new Error(`mutant "${mutant.name}": its text must occur exactly once in ${source}`)
    writeFileSync(join(work, source), original.slice(0, at) + mutant.replace + original.slice(at + mutant.find.length))
    const started = Date.now()
    const result = run()
    const output = result.stdout + result.stderr
    // A mutant that does not compile is no evidence either way: counted as surviving, and said so.
    const compiled = !/Compiler run failed|Error \(\d+\)/.test(output)
    const dead = compiled && result.status !== 0
    if (dead) killed++
    const by = dead ? (/\[FAIL[^\]]*\] (\w+)/.exec(output)?.[1] ?? 'a failing test') : compiled ? '—' : 'did not compile'
    console.log(`${String(index + 1).padStart(2)}. ${dead ? 'killed  ' : 'SURVIVED'} ${mutant.name.padEnd(52)} ${by} (${Math.round((Date.now() - started) / 1000)} s)`)
  }
  console.log('')
  console.log(JSON.stringify({ mutants: mutants.length, killed, score: Number((killed / mutants.length).toFixed(3)) }))
} finally {
  rmSync(work, { recursive: true, force: true })
}
