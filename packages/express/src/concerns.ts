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
import { toExpress, type ExpressAdapterOptions, type ExpressMiddleware } from './to-express.js'

/** Express middleware for `cache()`: also purges (`.purgeTag('post:42')`). */
export type ExpressCacheMiddleware = ExpressMiddleware & CachePurge

/** Express middleware for `stack()`: `.cache` is the stack's response cache (undefined when off). */
export type ExpressStackMiddleware = ExpressMiddleware & { readonly cache: ResponseCache | undefined }

/** Express middleware for `rateLimit()`: `.reset(key)` forgets a client's counters. */
export type ExpressRateLimitMiddleware = ExpressMiddleware & Pick<RateLimitMiddleware, 'reset'>

/**
 * The whole preset (rate limit → conditional → cache → Cache-Control policy → compress) as one
 * Express middleware: `app.use(stack({ cache: { ttl: '30s' } }))`. One adapter crossing for
 * all concerns. See `@brisk/stack` for the options.
 */
export function stack(
  options: StackOptions = {},
  adapter: ExpressAdapterOptions = {},
): ExpressStackMiddleware {
  const built = createStack(options)
  return Object.assign(toExpress(built, adapter), { cache: built.cache })
}

/** The response cache alone: `app.use(cache({ ttl: '30s' }))`, then `.purgeTag('x')`. */
export function cache(
  options: CacheOptions = {},
  adapter: ExpressAdapterOptions = {},
): ExpressCacheMiddleware {
  const responseCache = createCache(options)
  return Object.assign(toExpress(responseCache, adapter), purgeApi(responseCache))
}

/** Compression alone (gzip, brotli, zstd where available). */
export function compress(
  options: CompressOptions = {},
  adapter: ExpressAdapterOptions = {},
): ExpressMiddleware {
  return toExpress(createCompress(options), adapter)
}

/** ETags, 304 and 412 alone. */
export function conditional(
  options: ConditionalOptions = {},
  adapter: ExpressAdapterOptions = {},
): ExpressMiddleware {
  return toExpress(createConditional(options), adapter)
}

/** The declarative Cache-Control policy alone. */
export function cacheControl(
  options: CacheControlOptions = {},
  adapter: ExpressAdapterOptions = {},
): ExpressMiddleware {
  return toExpress(createCacheControl(options), adapter)
}

/** Rate limiting alone: `app.use(rateLimit({ limit: 100, window: '1m' }))`. */
export function rateLimit(
  options: RateLimitOptions,
  adapter: ExpressAdapterOptions = {},
): ExpressRateLimitMiddleware {
  const limiter = createRateLimit(options)
  return Object.assign(toExpress(limiter, adapter), { reset: (key: string) => limiter.reset(key) })
}

export type { CachePurge }
