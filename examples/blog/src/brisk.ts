import {
  cache,
  createDataCache,
  memoryStore,
  redisStore,
  tieredStore,
  type CacheStore,
  type DataCache,
} from '@brisk/cache'
import { compress } from '@brisk/compress'
import { conditional } from '@brisk/conditional'
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
} from '@brisk/ratelimit'
import { Redis } from 'ioredis'
import type { BriskSwitches } from './config.js'
import type { PurgeTags } from './purge.js'
import { SESSION_COOKIE } from './session.js'

/** The brisk middlewares the blog runs, built from its configuration. */
export interface BriskStack {
  /** All enabled middlewares composed into one, or undefined when none is enabled. */
  middleware: BriskMiddleware | undefined
  /** Names of the middlewares in `middleware`, outermost first (shown at start-up). */
  enabled: string[]
  /** Purges cached responses and data by tag; undefined without a cache. */
  purgeTags: PurgeTags | undefined
  /** The data cache for query results, on the response cache's store; undefined without a cache. */
  data: DataCache | undefined
  /** Closes the stores and the Redis connection the stack opened. */
  close(): Promise<void>
}

/** A POST of the login form: brute-force guessing gets its own, much smaller budget. */
function isLoginAttempt(req: BriskRequest): boolean {
  return req.method === 'POST' && (req.url === '/login' || req.url.startsWith('/login?'))
}

/**
 * The one place where the blog decides which brisk middlewares run, in which order and on
 * which store; each entry point installs the result once (`toKoa` / `toExpress`, or in front
 * of the app with `BRISK_MODE=front`).
 *
 * Order, outermost first (DESIGN.md): rate limit → conditional → cache → compress → routes.
 * The limiter refuses abuse before anything else is spent; conditional turns a stored or
 * fresh page into a 304 when the browser already has it; the cache stores what compress
 * produced, so a hit costs no rendering and no compression.
 */
export function briskStack(switches: BriskSwitches, metrics: BriskMetrics, logger: BriskLogger): BriskStack {
  const middlewares: Array<[string, BriskMiddleware]> = []
  const closers: Array<() => Promise<void>> = []
  let purgeTags: PurgeTags | undefined
  let data: DataCache | undefined

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

  if (switches.rateLimit) {
    const store = () =>
      switches.store === 'memory'
        ? limiterMemoryStore()
        : limiterRedisStore({ client: redisClient(), prefix: `${switches.keyPrefix}rl:`, logger })
    middlewares.push([
      'rateLimit',
      rateLimit({
        name: 'requests',
        limit: switches.requestsPerMinute,
        window: '1m',
        store: store(),
        metrics,
      }),
    ])
    middlewares.push([
      'rateLimit(login)',
      rateLimit({
        name: 'login',
        limit: switches.loginsPerMinute,
        window: '1m',
        store: store(),
        skip: (req) => !isLoginAttempt(req),
        metrics,
      }),
    ])
  }

  if (switches.conditional) middlewares.push(['conditional', conditional({ metrics, logger })])

  if (switches.cache) {
    let store: CacheStore
    if (switches.store === 'memory') {
      store = memoryStore({ maxSize: '64 MB' })
    } else {
      const shared = redisStore({
        client: redisClient(),
        prefix: `${switches.keyPrefix}cache:`,
        logger,
        metrics,
      })
      if (switches.store === 'redis') {
        store = shared
      } else {
        const tiered = tieredStore({ l1: memoryStore({ maxSize: '32 MB' }), l2: shared, logger })
        closers.unshift(async () => {
          await tiered.close?.()
        })
        store = tiered
      }
    }
    const responseCache = cache({
      store,
      metrics,
      logger,
      // Public pages carry nothing personal (the layout has no user name), so a signed-in
      // reader may share them; their own pages say `private, no-store` and are never stored.
      sessionCookies: [SESSION_COOKIE],
      shareAuthenticated: true,
    })
    middlewares.push(['cache', responseCache])
    // Query results share the store: a short lifetime, and purged with the pages by tag.
    const dataCache = createDataCache({ store, ttl: '5m', metrics, logger })
    data = dataCache
    purgeTags = async (tags) => {
      // Both purges reach the same store; going through the data cache as well lets it drop
      // a query result computed while the purge ran, instead of storing it afterwards.
      await Promise.all(
        tags.map((tag) => Promise.all([dataCache.deleteByTag(tag), responseCache.purgeTag(tag)])),
      )
    }
  }

  if (switches.compress) middlewares.push(['compress', compress({ metrics })])

  return {
    middleware: middlewares.length === 0 ? undefined : compose(...middlewares.map(([, mw]) => mw)),
    enabled: middlewares.map(([name]) => name),
    purgeTags,
    data,
    async close() {
      for (const close of closers) await close()
    },
  }
}
