#!/usr/bin/env node
// The `allot` executable: loads the Node 20 polyfill, makes sure the bundle of the
// TypeScript sources is current (cli/build.js), and hands the command line to it.
import '../node/polyfill/promise-with-resolvers.cjs'
import { ensureBundle } from './build.js'

// A reader that goes away early (`allot market asks | head`) is no error: stop quietly, as other tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error) => {
    if (error.code === 'EPIPE') process.exit(0)
    throw error
  })
}

const { run } = await import(await ensureBundle())
const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => controller.abort())
process.exitCode = await run({ argv: process.argv.slice(2), signal: controller.signal })
// Every command exits once it has returned: a handle left open (a socket, a timer) gets a
// moment to flush what it prints, then cannot keep the process alive.
setTimeout(() => process.exit(), 2_000).unref()
