import { BriskOptionError, parseCacheControl, parseDuration, type Duration } from '@brisk/core'

/** Cache-Control directives (RFC 9111 §5.2.2, RFC 8246, RFC 5861) written as options. */
export interface CacheDirectives {
  /** `public`: shared caches may store it even for a request with Authorization. */
  public?: boolean
  /** `private`: only the user's own browser may store it. */
  private?: boolean
  /** `no-cache`: may be stored, but must be revalidated before every use. */
  noCache?: boolean
  /** `no-store`: must not be stored anywhere. */
  noStore?: boolean
  /** `max-age`: freshness lifetime, in whole seconds (`'1h'`, or milliseconds as a number). */
  maxAge?: Duration
  /** `s-maxage`: freshness lifetime for shared caches only, in whole seconds. */
  sMaxAge?: Duration
  /** `stale-while-revalidate` (RFC 5861): serve stale this long while refreshing in the background. */
  staleWhileRevalidate?: Duration
  /** `stale-if-error` (RFC 5861): serve stale this long when the origin fails. */
  staleIfError?: Duration
  /** `must-revalidate`: never serve stale once expired. */
  mustRevalidate?: boolean
  /** `proxy-revalidate`: `must-revalidate` for shared caches only. */
  proxyRevalidate?: boolean
  /** `no-transform`: intermediaries must not change the body. */
  noTransform?: boolean
  /** `immutable` (RFC 8246): the body never changes while fresh; browsers skip revalidation on reload. */
  immutable?: boolean
  /** `must-understand`: store only if the cache understands the status code. */
  mustUnderstand?: boolean
}

/** A rendered policy: the field value plus what `Expires` needs to know. */
export interface RenderedDirectives {
  value: string
  /** `max-age` in seconds, when present. */
  maxAge?: number
  /** Whether the response must not be reused without revalidation (no-cache, no-store, max-age=0). */
  expiresAtOnce: boolean
  /** Whether a shared cache may store it (neither `private` nor `no-store`). */
  shared: boolean
  /** The same policy for one user only: `private`, without the shared-cache directives. */
  privateValue: string
}

const FLAGS: Array<[keyof CacheDirectives, string]> = [
  ['public', 'public'],
  ['private', 'private'],
  ['noCache', 'no-cache'],
  ['noStore', 'no-store'],
]
const SECONDS: Array<[keyof CacheDirectives, string]> = [
  ['maxAge', 'max-age'],
  ['sMaxAge', 's-maxage'],
  ['staleWhileRevalidate', 'stale-while-revalidate'],
  ['staleIfError', 'stale-if-error'],
]
const TRAILING_FLAGS: Array<[keyof CacheDirectives, string]> = [
  ['mustRevalidate', 'must-revalidate'],
  ['proxyRevalidate', 'proxy-revalidate'],
  ['noTransform', 'no-transform'],
  ['immutable', 'immutable'],
  ['mustUnderstand', 'must-understand'],
]
const KNOWN = new Set([...FLAGS, ...SECONDS, ...TRAILING_FLAGS].map(([key]) => key as string))

/**
 * Renders directives, or validates a field value written by hand, once at creation.
 * `option` names the option in error messages.
 */
export function renderDirectives(input: string | CacheDirectives, option: string): RenderedDirectives {
  if (typeof input === 'string') return fromFieldValue(input, option)
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BriskOptionError(option, input, 'a Cache-Control string, a preset name or a directives object')
  }
  const parts: string[] = []
  for (const key of Object.keys(input)) {
    if (!KNOWN.has(key)) {
      throw new BriskOptionError(
        `${option}.${key}`,
        input[key as keyof CacheDirectives],
        `one of ${[...KNOWN].join(', ')}`,
      )
    }
  }
  for (const [key, name] of FLAGS) if (flag(input, key, option)) parts.push(name)
  if (input.public === true && input.private === true) {
    throw new BriskOptionError(`${option}.public`, true, 'public or private, not both')
  }
  for (const [key, name] of SECONDS) {
    const value = input[key] as Duration | undefined
    if (value !== undefined) parts.push(`${name}=${wholeSeconds(value, `${option}.${key}`)}`)
  }
  for (const [key, name] of TRAILING_FLAGS) if (flag(input, key, option)) parts.push(name)
  if (parts.length === 0) throw new BriskOptionError(option, input, 'at least one directive')
  return fromFieldValue(parts.join(', '), option)
}

function fromFieldValue(value: string, option: string): RenderedDirectives {
  const directives = parseCacheControl(value)
  // Refuses CR/LF (header injection) and values with no directive at all.
  if (/[\r\n]/.test(value) || directives.size === 0) {
    throw new BriskOptionError(
      option,
      value,
      'a Cache-Control value such as "public, max-age=60" or a preset name',
    )
  }
  const maxAgeText = directives.get('max-age')
  const maxAge = typeof maxAgeText === 'string' && /^\d+$/.test(maxAgeText) ? Number(maxAgeText) : undefined
  const noStore = directives.has('no-store')
  return {
    value: value.trim(),
    ...(maxAge === undefined ? {} : { maxAge }),
    expiresAtOnce: noStore || directives.has('no-cache') || maxAge === 0,
    shared: !noStore && !directives.has('private'),
    privateValue: privateVariant(value),
  }
}

const SHARED_ONLY = new Set(['public', 'private', 's-maxage', 'proxy-revalidate'])

/**
 * A policy restricted to the user's own browser: `private` first, then every directive
 * except those addressed to shared caches (`public`, `s-maxage`, `proxy-revalidate`).
 */
export function privateVariant(value: string): string {
  let result = 'private'
  for (const [name, directive] of parseCacheControl(value)) {
    if (SHARED_ONLY.has(name)) continue
    if (directive === true) result += `, ${name}`
    else
      result += /^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(directive)
        ? `, ${name}=${directive}`
        : `, ${name}="${directive.replace(/["\\]/g, '\\$&')}"`
  }
  return result
}

function flag(input: CacheDirectives, key: keyof CacheDirectives, option: string): boolean {
  const value = input[key]
  if (value === undefined) return false
  if (typeof value !== 'boolean') throw new BriskOptionError(`${option}.${key}`, value, 'true or false')
  return value
}

// Numbers are milliseconds everywhere in brisk, so `maxAge: 60` would be 60 ms: refusing
// durations that are not whole seconds catches that slip at start-up.
function wholeSeconds(value: Duration, option: string): number {
  const ms = parseDuration(value, option)
  if (ms % 1000 !== 0) {
    throw new BriskOptionError(
      option,
      value,
      'whole seconds, e.g. "60s" or "1h" (a number is milliseconds: 60000)',
    )
  }
  return ms / 1000
}
