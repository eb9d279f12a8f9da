import varyModule from 'vary'
import type { BriskHeaders, BriskRequestHeaders } from './exchange.js'

/** One header value as a single string (list values joined with `, `), or undefined. */
export function headerValue(headers: BriskHeaders | BriskRequestHeaders, name: string): string | undefined {
  const value = headers[name]
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : value.join(', ')
}

/**
 * Adds `field` to a response's `Vary` header, merged case-insensitively and never
 * duplicated (jshttp `vary`), keeping `*` as it is.
 */
export function appendVary(headers: BriskHeaders, field: string): void {
  const current = headerValue(headers, 'vary') ?? ''
  const next = varyModule.append(current, field)
  if (next !== current) headers.vary = next
}
