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

/**
 * A copy of a header map, property by property. Written out rather than `{ ...headers }`:
 * V8's spread of an object that gained a property after it was itself made by a spread (as a
 * stored response's headers are) falls off its fast path, measured at 1.36 µs against 84 ns for
 * this loop; it was half of a cache hit's own cost.
 */
export function copyHeaders<T extends BriskHeaders>(headers: T): T {
  const copy = {} as Record<string, BriskHeaders[string]>
  for (const name in headers) copy[name] = headers[name]
  return copy as T
}
