import type { CommandSpec } from '../command.ts'
import { chainDev } from './chain.ts'
import { configShow } from './config.ts'

/** The command table: every `allot` command, in the order `--help` lists them. */
export const commands: CommandSpec[] = [chainDev, configShow]
