// Runs the uvu suites as uvu's own command does, then exits with uvu's status. Without the
// exit, a handle that some test leaves open (a socket, a timer, a worker) keeps the whole run
// alive after its summary, and CI waits until its own time limit.
import { parse } from 'uvu/parse'
import { run } from 'uvu/run'

const [dir = 'test', pattern, ...flags] = process.argv.slice(2)
const ignore = flags.flatMap((flag, index) => ((flag === '-i' || flag === '--ignore') && flags[index + 1] ? [flags[index + 1]] : []))
const { suites } = await parse(dir, pattern, { ignore })
await run(suites, {})
process.exit(process.exitCode ?? 0)
