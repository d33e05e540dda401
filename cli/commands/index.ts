import type { CommandSpec } from '../command.ts'
import { balance } from './balance.ts'
import { chainDev } from './chain.ts'
import { configShow } from './config.ts'
import { dashboard } from './dashboard.ts'
import { demo } from './demo.ts'
import { jobCancel, jobDispute, jobList, jobLogs, jobResult, jobStatus, jobSubmit } from './job.ts'
import { keeperStart, keeperStatus } from './keeper.ts'
import { init } from './init.ts'
import { marketAsks, marketBids, marketList, marketStatsCommand } from './market.ts'
import { marketCreate } from './marketCreate.ts'
import { providerStart } from './provider.ts'
import { providerStatusCommand } from './providerStatus.ts'
import { sim, simReport, simSweep } from './sim.ts'
import { stakeDeposit, stakeStatus, stakeWithdraw } from './stake.ts'

/** The command table: every `allot` command, in the order `--help` lists them. */
export const commands: CommandSpec[] = [init, chainDev, providerStart, providerStatusCommand, jobSubmit, jobStatus, jobLogs, jobResult, jobCancel, jobDispute, jobList, marketAsks, marketBids, marketList, marketCreate, marketStatsCommand, stakeDeposit, stakeWithdraw, stakeStatus, balance, keeperStart, keeperStatus, sim, simReport, simSweep, dashboard, demo, configShow]
