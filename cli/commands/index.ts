import type { CommandSpec } from '../command.ts'
import { chainDev } from './chain.ts'
import { configShow } from './config.ts'
import { init } from './init.ts'
import { stakeDeposit, stakeStatus, stakeWithdraw } from './stake.ts'

/** The command table: every `allot` command, in the order `--help` lists them. */
export const commands: CommandSpec[] = [init, chainDev, stakeDeposit, stakeWithdraw, stakeStatus, configShow]
