import {
  BriskOptionError,
  resolveMetrics,
  parseDuration,
  parseTimerDuration,
  parseOptionalDuration,
  parseSize,
  resolveLogger,
  type BriskLogger,
  type BriskMetrics,
  type BriskRequest,
  type Duration,
  type Size,
} from '@brisk/core'
import type { QueryKeyRule } from './cache-key.js'
import type { CacheStore } from './store.js'
import { memoryStore } from './stores/index.js'
import { DEFAULT_UNKEYED_HEADERS } from './unkeyed-headers.js'

export interface CacheOptions {
  /** Where responses are kept. Default: `memoryStore()` (64 MB, in this process). */
  store?: CacheStore
  /** Lifetime for responses that declare no freshness of their own; unset: only explicit freshness (s-maxage, max-age, Expires, `cacheFor`) is stored. */
  ttl?: Duration
  /** Computes the cache key of a GET; return undefined to bypass the cache. Default: method and normalized URL. */
  key?: (req: BriskRequest) => string | undefined
  /** Which query parameters the default key keeps: `{ allow: [...] }` or `{ deny: [...] }`. Default: all. */
  query?: QueryKeyRule
  /** Largest body stored; bigger (or endless streamed) bodies pass through uncached. Default `'1 MB'`. */
  maxBodySize?: Size
  /** How long after expiry a stale response is served while one background request refreshes it. Default 0 (the response's own `stale-while-revalidate` still applies). */
  staleWhileRevalidate?: Duration
  /** How long after expiry a stale response is served when the app throws or answers 5xx. Default 0 (the response's own `stale-if-error` still applies). */
  staleIfError?: Duration
  /** How long concurrent identical misses wait for the first one before calling the app themselves; `false` turns coalescing off. Default `'5s'`. */
  coalesce?: Duration | false
  /** Cookie names that make a request personal (a session), like `Authorization`. Default none. */
  sessionCookies?: readonly string[]
  /** Let requests with `Authorization` or a session cookie use and store responses marked `public` or `s-maxage`. Default false: they bypass the cache. */
  shareAuthenticated?: boolean
  /** Response header listing the entry's tags (comma or space separated), stripped before the client sees it; `Surrogate-Key` is always read too. Default `'Cache-Tag'`. */
  tagsHeader?: string
  /** Methods whose successful (2xx/3xx) responses invalidate the stored entries of their URL. Default `['POST', 'PUT', 'PATCH', 'DELETE']`. */
  methods?: readonly string[]
  /** Request headers that, when present and not in the response's `Vary`, keep the response out of the store (web cache poisoning: apps reflect them into pages). Default: `X-Forwarded-Host`, `X-Forwarded-Server`, `X-Forwarded-Scheme`, `X-Host`, `X-Original-URL`, `X-Rewrite-URL`, `Forwarded`. Behind a proxy that sets these itself, pass the ones it does not set, or `[]`. */
  unkeyedHeaders?: readonly string[]
  /** Give stored 200 responses that carry no ETag a strong one (sha1 of the stored bytes, `etag` package format), computed once when stored, so hits answer `If-None-Match` without hashing. Default true. */
  etag?: boolean
  /** Cache name in `Cache-Status`. Default `'brisk'`. */
  name?: string
  /** pino-compatible logger for store incidents; `false` silences it. Default: the shared brisk logger. */
  logger?: BriskLogger | false
  /** Counters (`cache.*`). Default: the shared `defaultMetrics`. */
  metrics?: BriskMetrics
  /** Time source (epoch ms) for ages and freshness; tests pass a fake one. Default `Date`. */
  clock?: { now(): number }
}

/** Options after validation, with defaults applied. */
export interface ResolvedCacheOptions {
  store: CacheStore
  ttl: number | undefined
  key: ((req: BriskRequest) => string | undefined) | undefined
  query: QueryKeyRule | undefined
  maxBodySize: number
  staleWhileRevalidate: number
  staleIfError: number
  coalesceTimeout: number | undefined
  sessionCookies: readonly string[]
  shareAuthenticated: boolean
  tagsHeader: string
  methods: ReadonlySet<string>
  etag: boolean
  unkeyedHeaders: readonly string[]
  name: string
  logger: BriskLogger
  metrics: BriskMetrics
  clock: { now(): number }
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/

/** Validates every option once, when the middleware is created. */
export function resolveCacheOptions(options: CacheOptions): ResolvedCacheOptions {
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('options', options, 'an object of cache options')
  }
  const store = options.store ?? memoryStore()
  if (typeof store !== 'object' || typeof store.get !== 'function' || typeof store.set !== 'function') {
    throw new BriskOptionError(
      'store',
      store,
      'a cache store such as memoryStore() or redisStore({ client })',
    )
  }
  if (options.key !== undefined && typeof options.key !== 'function') {
    throw new BriskOptionError('key', options.key, 'a function (req) => string | undefined')
  }
  const query = options.query
  if (query !== undefined) {
    const list =
      typeof query === 'object' && query !== null
        ? 'allow' in query
          ? query.allow
          : 'deny' in query
            ? query.deny
            : undefined
        : undefined
    if (!Array.isArray(list) || !list.every((name) => typeof name === 'string')) {
      throw new BriskOptionError('query', query, '{ allow: [names] } or { deny: [names] }')
    }
  }
  const coalesce = options.coalesce
  let coalesceTimeout: number | undefined
  if (coalesce !== false) {
    coalesceTimeout = parseTimerDuration(coalesce ?? '5s', 'coalesce')
    if (coalesceTimeout <= 0) throw new BriskOptionError('coalesce', coalesce, 'a duration above 0, or false')
  }
  const sessionCookies = options.sessionCookies ?? []
  if (
    !Array.isArray(sessionCookies) ||
    !sessionCookies.every((name) => typeof name === 'string' && name !== '')
  ) {
    throw new BriskOptionError('sessionCookies', sessionCookies, 'an array of cookie names, e.g. ["sid"]')
  }
  const tagsHeader = options.tagsHeader ?? 'Cache-Tag'
  if (typeof tagsHeader !== 'string' || !TOKEN.test(tagsHeader)) {
    throw new BriskOptionError('tagsHeader', tagsHeader, 'a header field name, e.g. "Cache-Tag"')
  }
  const methods = options.methods ?? ['POST', 'PUT', 'PATCH', 'DELETE']
  if (!Array.isArray(methods) || !methods.every((m) => typeof m === 'string' && TOKEN.test(m))) {
    throw new BriskOptionError('methods', methods, 'an array of method names, e.g. ["POST", "DELETE"]')
  }
  if (methods.some((m) => ['GET', 'HEAD'].includes(m.toUpperCase()))) {
    throw new BriskOptionError('methods', methods, 'unsafe methods only (GET and HEAD never invalidate)')
  }
  const name = options.name ?? 'brisk'
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw new BriskOptionError('name', name, 'a token such as "brisk" (letters, digits, - . _)')
  }
  if (options.shareAuthenticated !== undefined && typeof options.shareAuthenticated !== 'boolean') {
    throw new BriskOptionError('shareAuthenticated', options.shareAuthenticated, 'true or false')
  }
  if (options.etag !== undefined && typeof options.etag !== 'boolean') {
    throw new BriskOptionError('etag', options.etag, 'true or false')
  }
  const unkeyedHeaders = options.unkeyedHeaders ?? DEFAULT_UNKEYED_HEADERS
  if (
    !Array.isArray(unkeyedHeaders) ||
    !unkeyedHeaders.every((h) => typeof h === 'string' && TOKEN.test(h))
  ) {
    throw new BriskOptionError(
      'unkeyedHeaders',
      unkeyedHeaders,
      'an array of header names, e.g. ["X-Forwarded-Host"]',
    )
  }
  const clock = options.clock ?? Date
  if (typeof clock !== 'object' && typeof clock !== 'function') {
    throw new BriskOptionError('clock', clock, 'an object with a now() method returning epoch milliseconds')
  }
  if (typeof clock.now !== 'function') {
    throw new BriskOptionError('clock', clock, 'an object with a now() method returning epoch milliseconds')
  }
  return {
    store,
    ttl: parseOptionalDuration(options.ttl, 'ttl'),
    key: options.key,
    query,
    maxBodySize: parseSize(options.maxBodySize ?? '1 MB', 'maxBodySize'),
    staleWhileRevalidate: parseDuration(options.staleWhileRevalidate ?? 0, 'staleWhileRevalidate'),
    staleIfError: parseDuration(options.staleIfError ?? 0, 'staleIfError'),
    coalesceTimeout,
    sessionCookies,
    shareAuthenticated: options.shareAuthenticated ?? false,
    tagsHeader: tagsHeader.toLowerCase(),
    methods: new Set(methods.map((m) => m.toUpperCase())),
    etag: options.etag ?? true,
    unkeyedHeaders: unkeyedHeaders.map((h) => h.toLowerCase()),
    name,
    logger: resolveLogger(options.logger),
    metrics: resolveMetrics(options.metrics),
    clock,
  }
}
