import { cache, memoryStore, type CacheOptions, type CacheStore, type ResponseCache } from '@brisk/cache'
import { compress, type CompressOptions } from '@brisk/compress'
import {
  cacheControl,
  compilePathPattern,
  conditional,
  requestPath,
  type PathPattern,
} from '@brisk/conditional'
import {
  answerNowOf,
  BriskOptionError,
  compose,
  withAnswerNow,
  type AnswerNow,
  copyHeaders,
  resolveMetrics,
  type BriskHeaders,
  type BriskHints,
  type BriskLogger,
  type BriskMetrics,
  type BriskMiddleware,
  type BriskRequest,
  type HeaderValue,
} from '@brisk/core'
import { rateLimit, type RateLimitOptions } from '@brisk/ratelimit'
import type { BriskStack, StackOptions } from './stack.js'

/** Route-level choices of front mode, where the app's router has not run yet. */
export interface FrontRoute {
  /** Paths the route covers: a glob (`/api/**`, `/*.{js,css}`) or a RegExp, tested on the path without its query. The first matching route wins. */
  path: PathPattern
  /** `false`: the cache neither answers nor stores these paths; options: merged over the front's cache options, on the same store (purges reach them). */
  cache?: CacheOptions | false
  /** `false`: the front's limiter skips these paths; options: these paths also pass a limiter of their own (its own budget, e.g. a login limit), after the front's. */
  rateLimit?: RateLimitOptions | false
  /** `false`: no ETag / 304 / 412 handling on these paths. */
  conditional?: false
  /** `false`: these responses are not compressed. */
  compress?: false
}

/** Options of {@link createFrontStack}: the stack's, plus what only front mode needs. */
export interface FrontStackOptions extends StackOptions {
  /** Route-level choices by path pattern, first match wins (e.g. `[{ path: '/admin/**', cache: false }]`). Default none. */
  routes?: readonly FrontRoute[]
  /** Response headers that belong to one request (a request id, a per-request CSP header): the client whose request ran the app gets them, the cache never stores or replays them. Default none. */
  perRequestHeaders?: readonly string[]
  /** Runs on every answer given without running the app (a hit, a 304 from stored validators, a coalesced miss, a 429); may add response headers (e.g. a fresh request id). */
  onHit?: (req: BriskRequest, headers: BriskHeaders) => void
}

const STACK_KEYS = ['rateLimit', 'conditional', 'cache', 'cacheControl', 'compress', 'logger', 'metrics']
const KNOWN = new Set([...STACK_KEYS, 'routes', 'perRequestHeaders', 'onHit'])
const ROUTE_KEYS = new Set(['path', 'cache', 'rateLimit', 'conditional', 'compress'])
/**
 * Fields the cache decides by, or that describe the stored body: taken out before the cache
 * sees the response, they would let it store what it must not (a Set-Cookie or private page
 * replayed to everyone) or store a body its fields no longer describe.
 */
const CACHE_FIELDS = new Set([
  'set-cookie',
  'cache-control',
  'expires',
  'pragma',
  'vary',
  'age',
  'etag',
  'last-modified',
  'content-type',
  'content-encoding',
  'content-length',
  'content-range',
  'transfer-encoding',
])
/** Header names are tokens (RFC 9110 §5.1). */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

/** What one route runs: its chain, and a pattern unless it is the fallback. */
interface CompiledRoute {
  pattern: RegExp
  chain: BriskMiddleware
  /** The chain's synchronous attempt (a hit), if its layers have one. */
  attempt: AnswerNow | undefined
}

/**
 * The stack front mode runs in front of an app's listener: the same concerns in the same order
 * as {@link createStack} (rate limit → conditional → cache → Cache-Control policy → compress),
 * plus route choices and per-request headers. Routes share the one limiter, the one
 * conditional and compress instance and the one cache store, so budgets, keys, tags and
 * purges are the same whichever route a request took.
 */
export function createFrontStack(options: FrontStackOptions = {}): BriskStack {
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('front', options, 'an object of front options')
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new BriskOptionError(name, 'unknown', `one of ${[...KNOWN].join(', ')}`)
  }
  const metrics = resolveMetrics(options.metrics)
  const logger = options.logger
  const shared: { metrics: BriskMetrics; logger?: BriskLogger | false } =
    logger === undefined ? { metrics } : { metrics, logger }

  const limiter =
    options.rateLimit !== undefined && options.rateLimit !== false
      ? rateLimit({ metrics: shared.metrics, ...options.rateLimit })
      : undefined
  const conditionalOption = options.conditional ?? true
  const validators =
    conditionalOption === false
      ? undefined
      : conditional({ ...shared, ...(conditionalOption === true ? {} : conditionalOption) })
  const policy =
    options.cacheControl !== undefined && options.cacheControl !== false
      ? cacheControl(options.cacheControl)
      : undefined
  const compressOption: CompressOptions | boolean = options.compress ?? true
  const compressor =
    compressOption === false
      ? undefined
      : compress({ metrics, ...(compressOption === true ? {} : compressOption) })

  // One store behind every route's cache, so a purge through `.cache` reaches them all.
  const cacheOption = options.cache ?? true
  let store: CacheStore | undefined
  // What a route's cache options are merged over; undefined for a hand-made cache-like function,
  // which has nothing to merge them over.
  let baseCacheOptions: CacheOptions | undefined = {}
  let defaultCache: ResponseCache | undefined
  if (typeof cacheOption === 'function') {
    defaultCache = cacheOption
    store = cacheOption.store
    // A route's cache options are merged over this cache's own, as over options given inline:
    // a route must not lose the built cache's session cookies, key or sharing rules.
    baseCacheOptions = cacheOption.options
  } else if (cacheOption !== false) {
    const inline = cacheOption === true ? {} : cacheOption
    baseCacheOptions = inline
    store = inline.store ?? memoryStore()
    defaultCache = cache({ ...shared, ...inline, store })
  }

  const perRequest = headerNames(options.perRequestHeaders)
  if (options.onHit !== undefined && typeof options.onHit !== 'function') {
    throw new BriskOptionError('onHit', options.onHit, 'a function (req, headers) => void')
  }
  const onHit = options.onHit
  const tracked = perRequest.length > 0 || onHit !== undefined
  // Per exchange (hints are shared by derived requests): the per-request headers the app's
  // response carried, present only when the app ran for this request.
  const fromApp = new WeakMap<BriskHints, [string, HeaderValue][]>()

  /** Above everything: puts the app's per-request headers back, or lets onHit decorate an answer made without the app. */
  const restore: BriskMiddleware = async (req, next) => {
    const response = await next()
    const kept = fromApp.get(req.hints)
    if (kept === undefined) {
      onHit?.(req, response.headers)
      return response
    }
    fromApp.delete(req.hints)
    if (kept.length > 0) {
      const headers = copyHeaders(response.headers)
      for (const [name, value] of kept) headers[name] = value
      response.headers = headers
    }
    return response
  }

  // An answer made synchronously (a hit) never ran the app: nothing of its to put back.
  withAnswerNow(restore, (req, inner) => {
    const response = inner()
    if (response !== undefined) onHit?.(req, response.headers)
    return response
  })

  /** Just below the cache: the app ran; its per-request headers are taken out before the cache sees the response. */
  const strip: BriskMiddleware = async (req, next) => {
    const response = await next()
    const kept: [string, HeaderValue][] = []
    let headers: BriskHeaders | undefined
    for (const name of perRequest) {
      const value = response.headers[name]
      if (value === undefined) continue
      kept.push([name, value])
      headers ??= copyHeaders(response.headers)
      delete headers[name]
    }
    if (headers !== undefined) response.headers = headers
    fromApp.set(req.hints, kept)
    return response
  }

  const chainFor = (
    route: FrontRoute | undefined,
    responseCache: ResponseCache | undefined,
    routeLimiter: BriskMiddleware | undefined,
  ): BriskMiddleware => {
    const layers: BriskMiddleware[] = []
    if (tracked) layers.push(restore)
    if (limiter !== undefined && route?.rateLimit !== false) layers.push(limiter)
    if (routeLimiter !== undefined) layers.push(routeLimiter)
    if (validators !== undefined && route?.conditional !== false) layers.push(validators)
    if (responseCache !== undefined) layers.push(responseCache)
    if (tracked) layers.push(strip)
    if (policy !== undefined) layers.push(policy)
    if (compressor !== undefined && route?.compress !== false) layers.push(compressor)
    return layers.length === 0 ? (_req, next) => next() : compose(...layers)
  }

  const routes: CompiledRoute[] = []
  if (options.routes !== undefined) {
    if (!Array.isArray(options.routes)) {
      throw new BriskOptionError(
        'routes',
        options.routes,
        'a list of { path, cache, rateLimit, conditional, compress }',
      )
    }
    options.routes.forEach((route: FrontRoute, index) => {
      const where = `routes[${index}]`
      if (typeof route !== 'object' || route === null) {
        throw new BriskOptionError(
          where,
          route,
          'an object { path, cache?, rateLimit?, conditional?, compress? }',
        )
      }
      for (const name of Object.keys(route)) {
        if (!ROUTE_KEYS.has(name)) {
          throw new BriskOptionError(`${where}.${name}`, 'unknown', `one of ${[...ROUTE_KEYS].join(', ')}`)
        }
      }
      for (const name of ['conditional', 'compress'] as const) {
        if (route[name] !== undefined && route[name] !== false) {
          throw new BriskOptionError(
            `${where}.${name}`,
            route[name],
            'false (omit it to keep the front setting)',
          )
        }
      }
      let routeLimiter: BriskMiddleware | undefined
      if (route.rateLimit !== undefined && route.rateLimit !== false) {
        if (typeof route.rateLimit !== 'object' || route.rateLimit === null) {
          throw new BriskOptionError(`${where}.rateLimit`, route.rateLimit, 'rateLimit options or false')
        }
        routeLimiter = rateLimit({ metrics: shared.metrics, ...route.rateLimit })
      }
      let routeCache = defaultCache
      if (route.cache === false) routeCache = undefined
      else if (route.cache !== undefined) {
        if (typeof route.cache !== 'object' || route.cache === null) {
          throw new BriskOptionError(`${where}.cache`, route.cache, 'cache options or false')
        }
        if (baseCacheOptions === undefined) {
          throw new BriskOptionError(
            `${where}.cache`,
            route.cache,
            'false, or a front cache made by cache() (its options are what a route cache builds on)',
          )
        }
        store ??= memoryStore()
        routeCache = cache({
          ...shared,
          ...baseCacheOptions,
          ...route.cache,
          store: route.cache.store ?? store,
        })
      }
      const chain = chainFor(route, routeCache, routeLimiter)
      routes.push({
        pattern: compilePathPattern(route.path, `${where}.path`),
        chain,
        attempt: answerNowOf(chain),
      })
    })
  }
  const fallback = chainFor(undefined, defaultCache, undefined)

  const fallbackAttempt = answerNowOf(fallback)
  const routeOf = (req: BriskRequest): CompiledRoute | undefined => {
    // Without query or fragment: Node accepts `/login#x`, and Express, Koa and the cache key all
    // take it as `/login`, so its route (limiter, cache rules) must apply.
    const path = requestPath(req.url)
    for (const route of routes) if (route.pattern.test(path)) return route
    return undefined
  }
  const middleware: BriskMiddleware =
    routes.length === 0 ? fallback : (req, next) => (routeOf(req)?.chain ?? fallback)(req, next)
  const attempt: AnswerNow | undefined =
    routes.length === 0
      ? fallbackAttempt
      : (req, inner) => {
          const route = routeOf(req)
          const chosen = route === undefined ? fallbackAttempt : route.attempt
          return chosen === undefined ? undefined : chosen(req, inner)
        }
  const front: BriskMiddleware = (req, next) => middleware(req, next)
  if (attempt !== undefined) withAnswerNow(front, attempt)
  // With the front's own cache off, routes may still cache: `.cache` is then a cache on their
  // shared store that answers nothing, there to purge what they stored.
  const purgeHandle =
    defaultCache ?? (store === undefined ? undefined : cache({ ...shared, ...baseCacheOptions, store }))
  return Object.assign(front, { cache: purgeHandle })
}

function headerNames(value: readonly string[] | undefined): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value)) {
    throw new BriskOptionError('perRequestHeaders', value, 'a list of header names, e.g. ["x-request-id"]')
  }
  return value.map((name: unknown) => {
    if (typeof name !== 'string' || !TOKEN.test(name)) {
      throw new BriskOptionError('perRequestHeaders', name, 'header names (RFC 9110 tokens)')
    }
    const lower = name.toLowerCase()
    if (CACHE_FIELDS.has(lower)) {
      throw new BriskOptionError(
        'perRequestHeaders',
        name,
        'fields the cache does not decide by: a response with Set-Cookie, Cache-Control: private or ' +
          'no-store, or Vary: * is never stored, so it needs no declaring',
      )
    }
    return lower
  })
}
