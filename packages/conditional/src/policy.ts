import { BriskOptionError, type CacheForHint } from '@brisk/core'
import { renderDirectives, type CacheDirectives, type RenderedDirectives } from './directives.js'
import { compilePathPattern, type PathPattern } from './path-pattern.js'

/**
 * Presets for the common cases:
 * - `immutable`: fingerprinted static assets (`app.3f9a1c.js`); a year, never revalidated
 *   (RFC 8246), since a new build gets a new URL.
 * - `html`: pages; stored but revalidated on every use, so a deploy shows at once and a 304
 *   keeps it cheap.
 * - `api`: JSON that may be a few seconds old; 10 s fresh, then a minute served stale while
 *   a cache refreshes it (RFC 5861). Shared caches may store it: use `private` for per-user
 *   data.
 * - `private`: per-user pages; never stored anywhere.
 */
export const CACHE_PRESETS = {
  immutable: 'public, max-age=31536000, immutable',
  html: 'no-cache',
  api: 'max-age=10, stale-while-revalidate=60',
  private: 'private, no-store',
} as const

export type CachePreset = keyof typeof CACHE_PRESETS

/** One policy rule: where it applies, and the fields it sets. */
export interface CacheControlRule {
  /** Path globs or RegExps tested on the URL path without the query; any path when omitted. */
  path?: PathPattern | PathPattern[]
  /** Response media types (`text/html`, `image/*`), parameters ignored; any type when omitted. */
  type?: string | string[]
  /** `Cache-Control`: a preset name, a field value, or directives. */
  cacheControl?: CachePreset | string | CacheDirectives
  /** `CDN-Cache-Control` (RFC 9213): what CDNs should do, leaving browsers to `Cache-Control`. */
  cdnCacheControl?: string | CacheDirectives
  /** `Surrogate-Control`: the same for surrogates that read it (Fastly, Akamai, Varnish setups). */
  surrogateControl?: string | CacheDirectives
  /** Also set `Expires` from `max-age` (or already expired for no-cache/no-store), for HTTP/1.0 caches. Default `false`. */
  expires?: boolean
  /** Replace these fields even when the app set them. Default: the middleware's `override`. */
  override?: boolean
}

/** A rule compiled at creation: matchers and pre-rendered field values. */
export interface CompiledRule {
  paths: RegExp[] | undefined
  types: string[] | undefined
  cacheControl: RenderedDirectives | undefined
  cdnCacheControl: string | undefined
  surrogateControl: string | undefined
  expires: boolean
  override: boolean
}

const MEDIA_RANGE = /^(?:\*\/\*|[a-z0-9!#$&^_.+-]+\/(?:\*|[a-z0-9!#$&^_.+-]+))$/

export function compileRule(rule: CacheControlRule, option: string, defaultOverride: boolean): CompiledRule {
  if (rule === null || typeof rule !== 'object') throw new BriskOptionError(option, rule, 'a rule object')
  const paths =
    rule.path === undefined
      ? undefined
      : (Array.isArray(rule.path) ? rule.path : [rule.path]).map((pattern, index) =>
          compilePathPattern(
            pattern,
            Array.isArray(rule.path) ? `${option}.path[${index}]` : `${option}.path`,
          ),
        )
  const types =
    rule.type === undefined
      ? undefined
      : (Array.isArray(rule.type) ? rule.type : [rule.type]).map((type) => {
          const range = typeof type === 'string' ? type.trim().toLowerCase() : ''
          if (!MEDIA_RANGE.test(range)) {
            throw new BriskOptionError(
              `${option}.type`,
              type,
              'a media type such as "text/html" or "image/*"',
            )
          }
          return range
        })
  if (
    rule.cacheControl === undefined &&
    rule.cdnCacheControl === undefined &&
    rule.surrogateControl === undefined
  ) {
    throw new BriskOptionError(
      option,
      rule,
      'a rule setting cacheControl, cdnCacheControl or surrogateControl',
    )
  }
  for (const key of ['expires', 'override'] as const) {
    if (rule[key] !== undefined && typeof rule[key] !== 'boolean') {
      throw new BriskOptionError(`${option}.${key}`, rule[key], 'true or false')
    }
  }
  return {
    paths,
    types,
    cacheControl:
      rule.cacheControl === undefined ? undefined : renderPolicy(rule.cacheControl, `${option}.cacheControl`),
    cdnCacheControl:
      rule.cdnCacheControl === undefined
        ? undefined
        : renderDirectives(rule.cdnCacheControl, `${option}.cdnCacheControl`).value,
    surrogateControl:
      rule.surrogateControl === undefined
        ? undefined
        : renderDirectives(rule.surrogateControl, `${option}.surrogateControl`).value,
    expires: rule.expires ?? false,
    override: rule.override ?? defaultOverride,
  }
}

/** A preset name, a field value or directives, rendered. */
export function renderPolicy(
  value: CachePreset | string | CacheDirectives,
  option: string,
): RenderedDirectives {
  if (typeof value === 'string' && Object.hasOwn(CACHE_PRESETS, value)) {
    return renderDirectives(CACHE_PRESETS[value as CachePreset], option)
  }
  return renderDirectives(value, option)
}

/** The first rule whose path and media type match, or undefined. */
export function selectRule(
  rules: readonly CompiledRule[],
  path: string,
  contentType: string | undefined,
): CompiledRule | undefined {
  let essence: string | undefined
  for (const rule of rules) {
    if (rule.paths !== undefined && !rule.paths.some((pattern) => pattern.test(path))) continue
    if (rule.types !== undefined) {
      essence ??= mediaTypeEssence(contentType)
      if (!rule.types.some((range) => mediaRangeMatches(range, essence as string))) continue
    }
    return rule
  }
  return undefined
}

/** `text/HTML; charset=utf-8` → `text/html`; an absent type is the empty string. */
export function mediaTypeEssence(contentType: string | undefined): string {
  if (contentType === undefined) return ''
  const semicolon = contentType.indexOf(';')
  return (semicolon === -1 ? contentType : contentType.slice(0, semicolon)).trim().toLowerCase()
}

function mediaRangeMatches(range: string, essence: string): boolean {
  if (essence === '') return false
  if (range === '*/*') return true
  if (range.endsWith('/*')) return essence.startsWith(range.slice(0, -1))
  return range === essence
}

/**
 * The Cache-Control a handler declared with `cacheFor(ttl, { swr, staleIfError, private })`:
 * `private, no-store` for private data, otherwise `public` with the lifetimes in whole
 * seconds (rounded up, so a sub-second ttl is not turned into max-age=0).
 */
export function hintPolicy(hint: CacheForHint): string {
  if (hint.private === true) return CACHE_PRESETS.private
  let value = `public, max-age=${seconds(hint.ttl)}`
  if (hint.staleWhileRevalidate !== undefined && hint.staleWhileRevalidate > 0) {
    value += `, stale-while-revalidate=${seconds(hint.staleWhileRevalidate)}`
  }
  if (hint.staleIfError !== undefined && hint.staleIfError > 0) {
    value += `, stale-if-error=${seconds(hint.staleIfError)}`
  }
  return value
}

function seconds(ms: number): number {
  return Number.isFinite(ms) && ms > 0 ? Math.ceil(ms / 1000) : 0
}
