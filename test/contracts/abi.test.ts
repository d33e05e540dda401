import { readFileSync } from 'node:fs'
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as generated from '../../contracts/abi/generated.ts'
import { abiJson, buildArtifacts } from '../../contracts/scripts/build.ts'

test('contracts/abi/generated.ts and contracts/abi/*.json match a fresh forge build of the sources', () => {
  for (const { name, identifier, abi, bytecode } of buildArtifacts()) {
    const json = readFileSync(new URL(`../../contracts/abi/${name}.json`, import.meta.url), 'utf8')
    assert.is(json, abiJson(abi), `contracts/abi/${name}.json is stale: run npm run build:contracts`)
    const module = generated as Record<string, unknown>
    assert.equal(module[`${identifier}Abi`], abi, `${name}'s ABI is stale: run npm run build:contracts`)
    // The metadata hash at the end differs with source paths; the code before it must not.
    const strip = (code: string) => code.replace(/a264697066735822[0-9a-f]+$/, '')
    assert.is(strip(module[`${identifier}Bytecode`] as string), strip(bytecode), `${name}'s bytecode is stale: run npm run build:contracts`)
  }
})

test.run()
