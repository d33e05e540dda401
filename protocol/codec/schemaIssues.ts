import type { z } from 'zod'
import type { SchemaIssue } from '../errors/codec.ts'

/**
 * Flattens zod issues into `{ path, message }` with paths like `ask.free.gpus[0].count`.
 *
 * @param error - A zod error.
 * @returns The issues, first failing field first.
 */
export function schemaIssues(error: z.ZodError): SchemaIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path
      .map((key, index) => (typeof key === 'number' ? `[${key}]` : `${index === 0 ? '' : '.'}${String(key)}`))
      .join(''),
    message: issue.message,
  }))
}
