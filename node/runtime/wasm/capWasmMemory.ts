import { inspectWasmModule, type WasmMemoryLimits } from './inspectWasmModule.ts'

function uleb(value: number): number[] {
  const out: number[] = []
  do {
    let byte = value % 128
    value = Math.floor(value / 128)
    if (value > 0) byte |= 0x80
    out.push(byte)
  } while (value > 0)
  return out
}

function limitsBytes({ min, max, shared }: WasmMemoryLimits): number[] {
  return [max === undefined ? (shared ? 2 : 0) : shared ? 3 : 1, ...uleb(min), ...(max === undefined ? [] : uleb(max))]
}

/**
 * Sets the maximum of every memory a module defines to at most `maxPages`, so
 * that the module cannot grow past its memory limit: `memory.grow` beyond it
 * fails inside the module (malloc returns NULL) instead of the provider
 * running out of memory. Only the memory section changes; every other byte is
 * kept. (An address-space rlimit cannot do this: V8 reserves guard regions far
 * larger than any job's memory, see TOOLCHAIN.)
 *
 * @param bytes - The module.
 * @param maxPages - The memory limit in 64 KiB pages.
 * @returns The module with capped memories (the same bytes when nothing needed capping).
 * @throws RangeError when a memory's declared minimum already exceeds `maxPages` (the caller reports it as a memory failure).
 */
export function capWasmMemory(bytes: Uint8Array, maxPages: number): Uint8Array {
  const info = inspectWasmModule(bytes)
  const section = info.sections.find((s) => s.id === 5)
  if (!section) return bytes
  for (const memory of info.memories)
    if (memory.min > maxPages) throw new RangeError(`the module needs ${memory.min} pages of memory at start, more than the limit of ${maxPages}`)
  if (info.memories.every((memory) => memory.max !== undefined && memory.max <= maxPages)) return bytes
  const content = [
    ...uleb(info.memories.length),
    ...info.memories.flatMap((memory) => limitsBytes({ ...memory, max: Math.min(memory.max ?? maxPages, maxPages) })),
  ]
  const replaced = [5, ...uleb(content.length), ...content]
  const out = new Uint8Array(bytes.length - (section.end - section.start) + replaced.length)
  out.set(bytes.subarray(0, section.start), 0)
  out.set(replaced, section.start)
  out.set(bytes.subarray(section.end), section.start + replaced.length)
  return out
}
