#!/usr/bin/env node
// The `allot` executable: loads the Node 20 polyfill and the TypeScript loader,
// then hands the command line to cli/main.ts, which returns the exit code.
import '../node/polyfill/promise-with-resolvers.cjs'
import { register } from 'tsx/esm/api'

register()
const { run } = await import('./main.ts')
const controller = new AbortController()
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => controller.abort())
process.exitCode = await run({ argv: process.argv.slice(2), signal: controller.signal })
