import { headerValue, type BriskRequestHeaders } from '@brisk/core'
import { isWildcard, listMatches, parseEntityTag, type EntityTag } from './entity-tag.js'
import { parseHttpDate } from './http-date.js'

/** The validators of the selected (current) representation. */
export interface Validators {
  /** Its entity-tag, e.g. `"v42"` or `W/"v42"`. A malformed tag counts as none. */
  etag?: string
  /** Its last modification time: an HTTP-date, a `Date`, or epoch milliseconds. */
  lastModified?: string | Date | number
}

/** What a server does with the request: carry on, or answer 304 / 412 at once. */
export type PreconditionOutcome = 'proceed' | 304 | 412

// §13.2.1: preconditions do not apply to methods that neither select nor modify a
// representation.
const IGNORING_METHODS = new Set(['CONNECT', 'OPTIONS', 'TRACE'])

/**
 * Evaluates the request's preconditions against the current representation in the order of
 * RFC 9110 §13.2.2 (If-Range, step 5, is left to whoever serves ranges):
 *
 * 1. If-Match (strong comparison; `*` true when a representation exists): false → 412.
 * 2. else If-Unmodified-Since (valid date, Last-Modified known): modified after it → 412.
 * 3. If-None-Match (weak comparison; `*` false when a representation exists): false → 304
 *    for GET/HEAD, 412 for other methods.
 * 4. else for GET/HEAD, If-Modified-Since (valid date, Last-Modified known): not modified
 *    since → 304.
 *
 * `current` is `null` when the target has no current representation (a PUT that creates).
 * For GET and HEAD that means the answer will be 404, and §13.2.1 has a server ignore
 * preconditions when the unconditional answer would not be 2xx, so the result is `proceed`.
 */
export function evaluatePreconditions(
  method: string,
  headers: BriskRequestHeaders,
  current: Validators | null,
): PreconditionOutcome {
  if (IGNORING_METHODS.has(method)) return 'proceed'
  const safe = method === 'GET' || method === 'HEAD'
  if (current === null && safe) return 'proceed'
  const tag = current === null ? undefined : parseEntityTag(current.etag)

  const ifMatch = headerValue(headers, 'if-match')
  if (ifMatch !== undefined) {
    if (!ifMatchHolds(ifMatch, current, tag)) return 412
  } else {
    const since = parseHttpDate(singleValue(headers, 'if-unmodified-since'))
    const modified = current === null ? undefined : lastModifiedTime(current.lastModified)
    // §13.1.4: ignored when the date is invalid or the resource has no modification date.
    if (since !== undefined && modified !== undefined && modified > since) return 412
  }

  const ifNoneMatch = headerValue(headers, 'if-none-match')
  if (ifNoneMatch !== undefined) {
    if (!ifNoneMatchHolds(ifNoneMatch, current, tag)) return safe ? 304 : 412
  } else if (safe) {
    const since = parseHttpDate(singleValue(headers, 'if-modified-since'))
    const modified = current === null ? undefined : lastModifiedTime(current.lastModified)
    // §13.1.3: ignored when the date is invalid or not a single member.
    if (since !== undefined && modified !== undefined && modified <= since) return 304
  }
  return 'proceed'
}

/** Whether the request carries any precondition this module evaluates. */
export function hasPreconditions(headers: BriskRequestHeaders): boolean {
  return (
    headers['if-match'] !== undefined ||
    headers['if-none-match'] !== undefined ||
    headers['if-modified-since'] !== undefined ||
    headers['if-unmodified-since'] !== undefined
  )
}

/**
 * A Last-Modified value as epoch milliseconds truncated to whole seconds, the resolution of
 * an HTTP-date: a `Date` carrying milliseconds must not look newer than the same instant
 * echoed back in If-Modified-Since.
 */
export function lastModifiedTime(value: string | Date | number | undefined): number | undefined {
  if (value === undefined) return undefined
  if (typeof value === 'string') return parseHttpDate(value)
  const ms = typeof value === 'number' ? value : value.getTime()
  return Number.isFinite(ms) ? Math.floor(ms / 1000) * 1000 : undefined
}

// §13.1.1: `*` holds when a current representation exists; a list holds when a member
// matches the current entity-tag by strong comparison.
function ifMatchHolds(value: string, current: Validators | null, tag: EntityTag | undefined): boolean {
  if (isWildcard(value)) return current !== null
  return tag !== undefined && listMatches(value, tag, 'strong')
}

// §13.1.2: `*` fails when a current representation exists; a list fails when a member
// matches the current entity-tag by weak comparison.
function ifNoneMatchHolds(value: string, current: Validators | null, tag: EntityTag | undefined): boolean {
  if (isWildcard(value)) return current === null
  return tag === undefined || !listMatches(value, tag, 'weak')
}

// A date field repeated on the wire arrives as a list (or Node keeps only the first); a list
// of dates is invalid (§13.1.3, §13.1.4), which the strict date parser refuses.
function singleValue(headers: BriskRequestHeaders, name: string): string | undefined {
  const value = headers[name]
  if (value === undefined || typeof value === 'string') return value
  return value.length === 1 ? value[0] : undefined
}
