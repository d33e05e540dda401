import { bytesToBase64 } from './base64.ts'

/** A value the canonical JSON encoder can write. */
export type JsonValue = string | number | boolean | JsonValue[] | { [key: string]: JsonValue }

/**
 * Turns a message body into its JSON form: bigints become decimal strings,
 * byte arrays become padded base64, `undefined` fields are dropped.
 *
 * @param value - A message body (or part of one).
 * @returns The JSON form.
 */
export function toJsonValue(value: unknown): JsonValue {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value
    case 'bigint':
      return value.toString()
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`${value} is not a safe integer`)
      return value
    case 'object':
      if (value === null) break
      if (value instanceof Uint8Array) return bytesToBase64(value)
      if (Array.isArray(value)) return value.map(toJsonValue)
      return Object.fromEntries(
        Object.entries(value)
          .filter(([, field]) => field !== undefined)
          .map(([key, field]) => [key, toJsonValue(field)]),
      )
  }
  throw new TypeError(`cannot encode ${value === null ? 'null' : typeof value}`)
}

/**
 * Writes JSON canonically: object keys sorted by UTF-16 code units, no
 * whitespace, strings escaped as `JSON.stringify` does. One value, one spelling.
 *
 * @param value - A JSON value.
 * @returns The canonical text.
 */
export function canonicalStringify(value: JsonValue): string {
  if (typeof value !== 'object') return JSON.stringify(value)
  if (Array.isArray(value)) return `[${value.map(canonicalStringify).join(',')}]`
  const keys = Object.keys(value).sort()
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalStringify(value[key]!)}`).join(',')}}`
}

/**
 * `canonicalStringify(toJsonValue(value))` in one pass, without building the
 * JSON form first: every gossip message a node receives is re-encoded to check
 * that its bytes are canonical, and the intermediate tree was a third of
 * decoding's time and most of its garbage.
 *
 * @param value - A message body (or part of one).
 * @returns The canonical text of its JSON form.
 * @example
 * canonicalJson({ b: 2n, a: [1, 'x'] }) // '{"a":[1,"x"],"b":"2"}'
 */
export function canonicalJson(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      return `"${value.toString()}"`
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`${value} is not a safe integer`)
      return JSON.stringify(value)
    case 'object': {
      if (value === null) break
      if (value instanceof Uint8Array) return `"${bytesToBase64(value)}"`
      if (Array.isArray(value)) {
        let text = '['
        for (let index = 0; index < value.length; index++) text += (index ? ',' : '') + canonicalJson(value[index])
        return `${text}]`
      }
      const record = value as Record<string, unknown>
      let text = '{'
      for (const key of Object.keys(record).sort()) {
        const field = record[key]
        if (field === undefined) continue
        text += `${text.length > 1 ? ',' : ''}${JSON.stringify(key)}:${canonicalJson(field)}`
      }
      return `${text}}`
    }
  }
  throw new TypeError(`cannot encode ${value === null ? 'null' : typeof value}`)
}
