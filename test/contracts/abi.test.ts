import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as generated from '../../contracts/abi/generated.ts'
import { buildArtifacts } from '../../contracts/scripts/build.ts'

test('contracts/abi/generated.ts matches a fresh forge build of the sources', () => {
  for (const { name, identifier, abi, bytecode } of buildArtifacts()) {
    const module = generated as Record<string, unknown>
    assert.equal(module[`${identifier}Abi`], abi, `${name}'s ABI is stale: run npm run build:contracts`)
    // The metadata hash at the end differs with source paths; the code before it must not.
    const strip = (code: string) => code.replace(/a264697066735822[0-9a-f]+$/, '')
    assert.is(strip(module[`${identifier}Bytecode`] as string), strip(bytecode), `${name}'s bytecode is stale: run npm run build:contracts`)
  }
})

test.run()
