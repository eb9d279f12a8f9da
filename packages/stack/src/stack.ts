import { cache, type CacheOptions, type ResponseCache } from '@brisk/cache'
import { compress, type CompressOptions } from '@brisk/compress'
import {
  cacheControl,
  conditional,
  type CacheControlOptions,
  type ConditionalOptions,
} from '@brisk/conditional'
import {
  BriskOptionError,
  compose,
  resolveMetrics,
  type BriskLogger,
  type BriskMetrics,
  type BriskMiddleware,
} from '@brisk/core'
import { rateLimit, type RateLimitOptions } from '@brisk/ratelimit'

export interface StackOptions {
  /** Rate limiting, outermost so refused requests cost nothing else. Off unless given. */
  rateLimit?: RateLimitOptions | false
  /** ETags, 304 and 412. Default on. */
  conditional?: ConditionalOptions | boolean
  /** Response cache: options, a `cache()` you built (to keep its purge API at hand), or a boolean. Default on, memory store; only responses with explicit freshness are stored unless `ttl` is set. */
  cache?: CacheOptions | ResponseCache | boolean
  /** Declarative Cache-Control policy applied to the app's responses before the cache sees them. Off unless given. */
  cacheControl?: CacheControlOptions | false
  /** gzip / brotli / zstd. Default on. */
  compress?: CompressOptions | boolean
  /** Logger handed to every concern that logs; `false` silences them. Default: the shared brisk logger. */
  logger?: BriskLogger | false
  /** Counters shared by every concern. Default: `defaultMetrics`. */
  metrics?: BriskMetrics
}

/** The composed stack: a brisk middleware that also exposes the response cache it built. */
export interface BriskStack extends BriskMiddleware {
  /** The response cache in the stack (purge by key, URL, tag, all), or undefined when off. */
  readonly cache: ResponseCache | undefined
}

const KNOWN = new Set(['rateLimit', 'conditional', 'cache', 'cacheControl', 'compress', 'logger', 'metrics'])

/**
 * Composes the concerns in the order HTTP intermediaries would sit in front of an app:
 * rate limit → conditional → cache → Cache-Control policy → compress → app. The limiter
 * refuses before anything is spent; conditional answers 304 from whatever comes back
 * (a hit carries its stored ETag, so nothing is hashed); the cache stores what the policy
 * declared, in the compressed form compress produced once per coding.
 */
export function createStack(options: StackOptions = {}): BriskStack {
  if (typeof options !== 'object' || options === null) {
    throw new BriskOptionError('stack', options, 'an object of stack options')
  }
  for (const name of Object.keys(options)) {
    if (!KNOWN.has(name)) throw new BriskOptionError(name, 'unknown', `one of ${[...KNOWN].join(', ')}`)
  }
  const metrics = resolveMetrics(options.metrics)
  const logger = options.logger
  const shared = logger === undefined ? { metrics } : { metrics, logger }
  const layers: BriskMiddleware[] = []

  if (options.rateLimit !== undefined && options.rateLimit !== false) {
    layers.push(rateLimit({ metrics: shared.metrics, ...options.rateLimit }))
  }
  const conditionalOption = options.conditional ?? true
  if (conditionalOption !== false) {
    layers.push(conditional({ ...shared, ...(conditionalOption === true ? {} : conditionalOption) }))
  }
  const responseCache = buildCache(options.cache ?? true, shared)
  if (responseCache !== undefined) layers.push(responseCache)
  if (options.cacheControl !== undefined && options.cacheControl !== false) {
    layers.push(cacheControl(options.cacheControl))
  }
  const compressOption = options.compress ?? true
  if (compressOption !== false) {
    layers.push(compress({ metrics, ...(compressOption === true ? {} : compressOption) }))
  }

  const middleware = compose(...layers)
  return Object.assign(((req, next) => middleware(req, next)) as BriskMiddleware, { cache: responseCache })
}

function buildCache(
  option: CacheOptions | ResponseCache | boolean,
  shared: { metrics: BriskMetrics; logger?: BriskLogger | false },
): ResponseCache | undefined {
  if (option === false) return undefined
  if (option === true) return cache(shared)
  if (typeof option === 'function') return option
  return cache({ ...shared, ...option })
}
