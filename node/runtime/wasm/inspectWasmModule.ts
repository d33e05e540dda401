/** A memory's limits, in 64 KiB pages. */
export type WasmMemoryLimits = {
  min: number
  /** Absent when the module sets no maximum (it may then grow to 4 GiB). */
  max?: number | undefined
  shared: boolean
  memory64: boolean
}

/** The parts of a module the wasm runtime checks before running it. */
export type WasmModuleInfo = {
  imports: { module: string; name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag' }[]
  exports: { name: string; kind: 'function' | 'table' | 'memory' | 'global' | 'tag' }[]
  /** Memories the module defines itself (imported ones are among `imports`). */
  memories: WasmMemoryLimits[]
  /** Where each top-level section starts and ends, in module order. */
  sections: { id: number; start: number; contentStart: number; end: number }[]
}

/** Bytes of one WebAssembly page. */
export const WASM_PAGE_BYTES = 65536

const KINDS = ['function', 'table', 'memory', 'global', 'tag'] as const

/** A module that is not well-formed WebAssembly, as far as this reader goes. */
export class WasmFormatError extends Error {
  override name = 'WasmFormatError'
}

/** Reads the bytes of a module: LEB128 integers, names, limits. */
export class WasmReader {
  offset: number
  constructor(
    readonly bytes: Uint8Array,
    offset = 0,
    readonly end = bytes.length,
  ) {
    this.offset = offset
  }

  byte(): number {
    if (this.offset >= this.end) throw new WasmFormatError('unexpected end of module')
    return this.bytes[this.offset++]!
  }

  /** Unsigned LEB128, at most `bits` bits (32 or 64); returned as a number (64-bit values only need to be compared). */
  uleb(bits = 32): number {
    let result = 0
    let scale = 1
    for (let i = 0; i < Math.ceil(bits / 7); i++) {
      const byte = this.byte()
      result += (byte & 0x7f) * scale
      if ((byte & 0x80) === 0) return result
      scale *= 128
    }
    throw new WasmFormatError('integer too long')
  }

  skip(length: number): void {
    if (length > this.end - this.offset) throw new WasmFormatError('unexpected end of module')
    this.offset += length
  }

  name(): string {
    const length = this.uleb()
    const start = this.offset
    this.skip(length)
    return new TextDecoder('utf-8', { fatal: false }).decode(this.bytes.subarray(start, this.offset))
  }

  limits(): WasmMemoryLimits {
    const flags = this.byte()
    if (flags > 7) throw new WasmFormatError(`unknown limits flags 0x${flags.toString(16)}`)
    const memory64 = (flags & 4) !== 0
    const min = this.uleb(memory64 ? 64 : 32)
    const max = flags & 1 ? this.uleb(memory64 ? 64 : 32) : undefined
    return { min, max, shared: (flags & 2) !== 0, memory64 }
  }
}

/**
 * Reads a module's sections, imports, exports and memory limits, without
 * compiling it. What it does not need (code, data) it skips.
 *
 * @param bytes - A WebAssembly binary.
 * @returns What the runtime checks before running the module.
 * @throws WasmFormatError when the bytes are not a WebAssembly binary.
 */
export function inspectWasmModule(bytes: Uint8Array): WasmModuleInfo {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d)
    throw new WasmFormatError('not a WebAssembly binary (bad magic)')
  if (bytes[4] !== 1 || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) throw new WasmFormatError('unsupported WebAssembly version')
  const info: WasmModuleInfo = { imports: [], exports: [], memories: [], sections: [] }
  const reader = new WasmReader(bytes, 8)
  while (reader.offset < bytes.length) {
    const start = reader.offset
    const id = reader.byte()
    const size = reader.uleb()
    const contentStart = reader.offset
    reader.skip(size)
    info.sections.push({ id, start, contentStart, end: reader.offset })
    const section = new WasmReader(bytes, contentStart, reader.offset)
    if (id === 2) readImports(section, info)
    else if (id === 5) for (let n = section.uleb(); n > 0; n--) info.memories.push(section.limits())
    else if (id === 7) readExports(section, info)
  }
  return info
}

function readImports(section: WasmReader, info: WasmModuleInfo): void {
  for (let n = section.uleb(); n > 0; n--) {
    const module = section.name()
    const name = section.name()
    const kind = KINDS[section.byte()]
    if (!kind) throw new WasmFormatError(`unknown import kind in ${module}.${name}`)
    if (kind === 'function') section.uleb()
    else if (kind === 'table') {
      section.byte()
      section.limits()
    } else if (kind === 'memory') section.limits()
    else if (kind === 'global') section.skip(2)
    else {
      section.byte()
      section.uleb()
    }
    info.imports.push({ module, name, kind })
  }
}

function readExports(section: WasmReader, info: WasmModuleInfo): void {
  for (let n = section.uleb(); n > 0; n--) {
    const name = section.name()
    const kind = KINDS[section.byte()]
    if (!kind) throw new WasmFormatError(`unknown export kind of ${name}`)
    section.uleb()
    info.exports.push({ name, kind })
  }
}
