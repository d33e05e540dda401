#!/usr/bin/env node
// forge wants a native solc and would download one; this machine has no network
// beyond the npm registry, so forge is pointed at this wrapper around solc-js.
// It answers the two calls forge makes: `--version` and `--standard-json`.
'use strict'
const fs = require('node:fs')
const path = require('node:path')
const solc = require('solc')

const args = process.argv.slice(2)
if (args.includes('--version')) {
  process.stdout.write(`solc, the solidity compiler commandline interface\nVersion: ${solc.version()}\n`)
  process.exit(0)
}
if (!args.includes('--standard-json')) {
  process.stderr.write('this wrapper only supports --version and --standard-json\n')
  process.exit(2)
}

const roots = [process.cwd()]
for (let i = 0; i < args.length; i++) {
  const flag = args[i]
  if (flag === '--base-path' || flag === '--include-path' || flag === '--allow-paths') {
    for (const root of String(args[i + 1] ?? '').split(',')) if (root) roots.push(path.resolve(root))
    i++
  }
}

function findImports(importPath) {
  const candidates = path.isAbsolute(importPath) ? [importPath] : roots.map((root) => path.join(root, importPath))
  for (const candidate of candidates) {
    if (fs.existsSync(candidate)) return { contents: fs.readFileSync(candidate, 'utf8') }
  }
  return { error: `File not found: ${importPath}` }
}

const input = fs.readFileSync(0, 'utf8')
process.stdout.write(solc.compile(input, { import: findImports }))
