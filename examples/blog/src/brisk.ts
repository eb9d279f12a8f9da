import {
  cache,
  createDataCache,
  memoryStore,
  redisStore,
  tieredStore,
  type CacheStore,
  type DataCache,
  type ResponseCache,
} from '@brisk/cache'
import {
  compose,
  type BriskLogger,
  type BriskMetrics,
  type BriskMiddleware,
  type BriskRequest,
} from '@brisk/core'
import {
  memoryStore as limiterMemoryStore,
  rateLimit,
  redisStore as limiterRedisStore,
  type RateLimitStore,
} from '@brisk/ratelimit'
import { createStack } from '@brisk/stack'
import { Redis } from 'ioredis'
import type { BriskSwitches } from './config.js'
import type { PurgeTags } from './purge.js'
import { SESSION_COOKIE } from './session.js'

/** The brisk middlewares the blog runs, built from its configuration. */
export interface BriskStack {
  /** All enabled middlewares composed into one, or undefined when none is enabled. */
  middleware: BriskMiddleware | undefined
  /** Names of the enabled middlewares, outermost first (shown at start-up). */
  enabled: string[]
  /** Purges cached responses and data by tag; undefined without a cache. */
  purgeTags: PurgeTags | undefined
  /** The data cache for query results, on the response cache's store; undefined without a cache. */
  data: DataCache | undefined
  /**
   * Resolves once the cache hears other instances' purges (the tiered store's subscriber is
   * listening); at once for the other stores.
   */
  ready(): Promise<void>
  /** Closes the stores and the Redis connection the stack opened. */
  close(): Promise<void>
}

/** A POST of the login form: password guessing gets its own, much smaller budget. */
function isLoginAttempt(req: BriskRequest): boolean {
  return req.method === 'POST' && (req.url === '/login' || req.url.startsWith('/login?'))
}

/**
 * The one place where the blog decides which brisk middlewares run and on which store; each
 * entry point installs the result once (`toKoa` / `toExpress`, or in front of the app with
 * `BRISK_MODE=front`).
 *
 * `createStack` orders the concerns as DESIGN.md does: rate limit → conditional → cache →
 * Cache-Control policy → compress → routes. The limiter refuses abuse before anything else is spent; conditional
 * turns a stored or fresh page into a 304 when the browser already has it; the cache stores
 * what compress produced, so a hit costs no rendering and no compression. The login limiter
 * sits in front of the stack, since one limiter has one budget for every path.
 */
export function briskStack(switches: BriskSwitches, metrics: BriskMetrics, logger: BriskLogger): BriskStack {
  const closers: Array<() => Promise<void>> = []
  const readiness: Array<Promise<void>> = []
  const enabled: string[] = []

  let redis: Redis | undefined
  const redisClient = (): Redis => {
    if (redis === undefined) {
      const client = new Redis(switches.redisUrl, { maxRetriesPerRequest: 1 })
      // Connection faults are the stores' business (BackendGuard logs each incident once);
      // this handler only keeps ioredis from reporting every reconnect attempt itself.
      client.on('error', () => {})
      redis = client
      closers.push(async () => {
        client.disconnect()
      })
    }
    return redis
  }
  const limiterStore = (): RateLimitStore =>
    switches.store === 'memory'
      ? limiterMemoryStore()
      : limiterRedisStore({ client: redisClient(), prefix: `${switches.keyPrefix}rl:`, logger })

  let loginLimiter: BriskMiddleware | undefined
  if (switches.rateLimit) {
    loginLimiter = rateLimit({
      name: 'login',
      limit: switches.loginsPerMinute,
      window: '1m',
      store: limiterStore(),
      skip: (req) => !isLoginAttempt(req),
      metrics,
    })
    enabled.push('rateLimit(login)', 'rateLimit')
  }
  if (switches.conditional) enabled.push('conditional')

  let responseCache: ResponseCache | undefined
  let data: DataCache | undefined
  if (switches.cache) {
    const store = cacheStore(switches, redisClient, logger, metrics, closers, readiness)
    responseCache = cache({
      store,
      metrics,
      logger,
      // Public pages carry nothing personal (the layout has no user name), so a signed-in
      // reader may share them; their own pages say `private, no-store` and are never stored.
      sessionCookies: [SESSION_COOKIE],
      shareAuthenticated: true,
    })
    // Query results share the store: a short lifetime, and purged with the pages by tag.
    data = createDataCache({ store, ttl: '5m', metrics, logger })
    enabled.push('cache')
  }
  // The policy sits inside the cache, so the cache stores what it declared.
  if (switches.conditional) enabled.push('cacheControl')
  if (switches.compress) enabled.push('compress')

  const stack = createStack({
    rateLimit: switches.rateLimit
      ? { name: 'requests', limit: switches.requestsPerMinute, window: '1m', store: limiterStore() }
      : false,
    conditional: switches.conditional,
    // The declarative policy: content-hashed static files are immutable for a year. Pages
    // declare their own Cache-Control (route.ts), which the policy never overrides.
    cacheControl: switches.conditional
      ? { rules: [{ path: '/static/**', cacheControl: 'immutable' }] }
      : false,
    cache: responseCache ?? false,
    compress: switches.compress,
    metrics,
    logger,
  })
  const layers = [loginLimiter, enabled.length > 0 ? stack : undefined].filter(
    (layer): layer is BriskMiddleware => layer !== undefined,
  )

  const purgeCache = responseCache
  const dataCache = data
  return {
    middleware: layers.length === 0 ? undefined : compose(...layers),
    enabled,
    purgeTags:
      purgeCache === undefined || dataCache === undefined
        ? undefined
        : async (tags) => {
            // Both purges reach the same store; going through the data cache as well lets it
            // drop a query result computed while the purge ran instead of storing it afterwards.
            await Promise.all(
              tags.map((tag) => Promise.all([dataCache.deleteByTag(tag), purgeCache.purgeTag(tag)])),
            )
          },
    data,
    async ready() {
      await Promise.all(readiness)
    },
    async close() {
      for (const close of closers) await close()
    },
  }
}

/** The cache's store: in this process, on Redis, or both as two tiers. */
function cacheStore(
  switches: BriskSwitches,
  redisClient: () => Redis,
  logger: BriskLogger,
  metrics: BriskMetrics,
  closers: Array<() => Promise<void>>,
  readiness: Array<Promise<void>>,
): CacheStore {
  if (switches.store === 'memory') return memoryStore({ maxSize: '64 MB' })
  const shared = redisStore({ client: redisClient(), prefix: `${switches.keyPrefix}cache:`, logger, metrics })
  if (switches.store === 'redis') return shared
  const tiered = tieredStore({ l1: memoryStore({ maxSize: '32 MB' }), l2: shared, logger })
  readiness.push(tiered.ready())
  // The tier's subscriber connection closes before the shared client it was duplicated from.
  closers.unshift(async () => {
    await tiered.close?.()
  })
  return tiered
}
