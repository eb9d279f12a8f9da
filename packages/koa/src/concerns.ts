import {
  cache as createCache,
  purgeApi,
  type CacheOptions,
  type CachePurge,
  type ResponseCache,
} from '@brisk/cache'
import { compress as createCompress, type CompressOptions } from '@brisk/compress'
import {
  cacheControl as createCacheControl,
  conditional as createConditional,
  type CacheControlOptions,
  type ConditionalOptions,
} from '@brisk/conditional'
import {
  rateLimit as createRateLimit,
  type RateLimitMiddleware,
  type RateLimitOptions,
} from '@brisk/ratelimit'
import { createStack, type StackOptions } from '@brisk/stack'
import type { Middleware } from 'koa'
import { toKoa } from './to-koa.js'

/** Koa middleware for `cache()`: also purges (`.purgeTag('post:42')`). */
export type KoaCacheMiddleware = Middleware & CachePurge

/** Koa middleware for `stack()`: `.cache` is the stack's response cache (undefined when off). */
export type KoaStackMiddleware = Middleware & { readonly cache: ResponseCache | undefined }

/** Koa middleware for `rateLimit()`: `.reset(key)` forgets a client's counters. */
export type KoaRateLimitMiddleware = Middleware & Pick<RateLimitMiddleware, 'reset'>

/**
 * The whole preset (rate limit → conditional → cache → Cache-Control policy → compress) as one
 * Koa middleware: `app.use(stack({ cache: { ttl: '30s' } }))`. One adapter crossing for all
 * concerns. See `@brisk/stack` for the options.
 */
export function stack(options: StackOptions = {}): KoaStackMiddleware {
  const built = createStack(options)
  return Object.assign(toKoa(built), { cache: built.cache })
}

/** The response cache alone: `app.use(cache({ ttl: '30s' }))`, then `.purgeTag('x')`. */
export function cache(options: CacheOptions = {}): KoaCacheMiddleware {
  const responseCache = createCache(options)
  return Object.assign(toKoa(responseCache), purgeApi(responseCache))
}

/** Compression alone (gzip, brotli, zstd where available). */
export function compress(options: CompressOptions = {}): Middleware {
  return toKoa(createCompress(options))
}

/** ETags, 304 and 412 alone. */
export function conditional(options: ConditionalOptions = {}): Middleware {
  return toKoa(createConditional(options))
}

/** The declarative Cache-Control policy alone. */
export function cacheControl(options: CacheControlOptions = {}): Middleware {
  return toKoa(createCacheControl(options))
}

/** Rate limiting alone: `app.use(rateLimit({ limit: 100, window: '1m' }))`. */
export function rateLimit(options: RateLimitOptions): KoaRateLimitMiddleware {
  const limiter = createRateLimit(options)
  return Object.assign(toKoa(limiter), { reset: (key: string) => limiter.reset(key) })
}

export type { CachePurge }
