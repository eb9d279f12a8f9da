import { cache, memoryStore, redisStore, tieredStore, type CacheStore, type MemoryStore } from '@brisk/cache'
import { compress } from '@brisk/compress'
import { conditional } from '@brisk/conditional'
import type { BriskMiddleware } from '@brisk/core'
import {
  memoryStore as limiterMemoryStore,
  rateLimit,
  redisStore as limiterRedisStore,
} from '@brisk/ratelimit'
import { createStack, type StackOptions } from '@brisk/stack'
import { Redis } from 'ioredis'
import { CACHE_TTL_SECONDS, type ServerSpec } from './server-spec.js'

/** A middleware and what must be closed with the server. */
export interface Built<T> {
  value: T
  close(): Promise<void>
  /** Gauges the server reports after a run (the memory store's accounted bytes). */
  stats?: () => Record<string, number>
}

/** A limit no benchmark reaches in its window: the limiter runs its full path and always allows. */
export const UNREACHED_LIMIT = 1_000_000_000

/**
 * The two fields brisk's limiter sends on the rate-limit route, as constants: a middleware that
 * sets only these measures what the fields cost a framework, apart from any limiter's logic.
 */
export const STATIC_RATELIMIT_FIELDS: readonly (readonly [string, string])[] = [
  ['RateLimit-Policy', '"default";q=1000000000;w=60'],
  ['RateLimit', '"default";r=999999999;t=60'],
]

const CACHE_TTL = `${CACHE_TTL_SECONDS}s`

/** The brisk middleware for a spec's layer, or undefined when the layer is not brisk's. */
export async function briskLayer(spec: ServerSpec): Promise<Built<BriskMiddleware> | undefined> {
  const closers: (() => Promise<void>)[] = []
  const stores: MemoryStore[] = []
  const close = async (): Promise<void> => {
    for (const closer of closers.reverse()) await closer()
  }
  const redis = (): Redis => {
    if (spec.redis === undefined) throw new Error(`${spec.layer} needs spec.redis`)
    const client = new Redis(spec.redis.url, { maxRetriesPerRequest: 1 })
    closers.push(async () => {
      client.disconnect()
    })
    return client
  }
  const prefix = (): string => spec.redis?.prefix ?? 'brisk-bench:unset:'
  const cacheStore = async (kind: 'memory' | 'redis' | 'tiered'): Promise<CacheStore> => {
    const memory = (): CacheStore => {
      const store = memoryStore({ maxSize: spec.storeMaxSize ?? '64 MB' })
      stores.push(store)
      return store
    }
    if (kind === 'memory') return memory()
    const l2 = redisStore({ client: redis(), prefix: `${prefix()}cache:`, logger: false })
    if (kind === 'redis') return l2
    const tiered = tieredStore({ l1: memory(), l2, logger: false })
    await tiered.ready()
    closers.push(async () => tiered.close?.())
    return tiered
  }
  const cached = async (kind: 'memory' | 'redis' | 'tiered'): Promise<BriskMiddleware> =>
    cache({ ttl: CACHE_TTL, store: await cacheStore(kind), logger: false })

  let value: BriskMiddleware
  switch (spec.layer) {
    case 'brisk-cache-memory':
      value = await cached('memory')
      break
    case 'brisk-cache-redis':
      value = await cached('redis')
      break
    case 'brisk-cache-tiered':
      value = await cached('tiered')
      break
    case 'brisk-compress':
      value = compress()
      break
    case 'brisk-conditional':
      value = conditional({ logger: false })
      break
    case 'brisk-conditional-cache':
      value = createStack({ conditional: true, cache: { ttl: CACHE_TTL }, compress: false, logger: false })
      break
    case 'brisk-stack':
      // The four concerns the way the README composes them; br is what the load asks for.
      value = createStack({
        rateLimit: { limit: UNREACHED_LIMIT, window: '1m', store: limiterMemoryStore() },
        conditional: true,
        cache: { ttl: CACHE_TTL },
        compress: true,
        logger: false,
      })
      break
    case 'brisk-ratelimit-memory':
      value = rateLimit({ limit: UNREACHED_LIMIT, window: '1m', store: limiterMemoryStore() })
      break
    case 'brisk-ratelimit-memory-noheaders':
      value = rateLimit({ limit: UNREACHED_LIMIT, window: '1m', store: limiterMemoryStore(), headers: false })
      break
    case 'brisk-ratelimit-redis':
      value = rateLimit({
        limit: UNREACHED_LIMIT,
        window: '1m',
        store: limiterRedisStore({ client: redis(), prefix: `${prefix()}rl:`, logger: false }),
      })
      break
    default:
      return undefined
  }
  const stats = (): Record<string, number> => ({
    storeBytes: stores.reduce((sum, store) => sum + store.size, 0),
    storeEntries: stores.reduce((sum, store) => sum + store.entries, 0),
  })
  return { value, close, stats }
}

/**
 * The same concerns as {@link briskLayer} builds for a layer, as options for the adapters'
 * `front(app, options)`, which composes them itself. Only the layers front mode is measured with.
 */
export function frontLayerOptions(spec: ServerSpec): StackOptions {
  switch (spec.layer) {
    case 'brisk-cache-memory':
      return { cache: { ttl: CACHE_TTL }, conditional: false, compress: false, logger: false }
    case 'brisk-stack':
      return {
        rateLimit: { limit: UNREACHED_LIMIT, window: '1m', store: limiterMemoryStore() },
        conditional: true,
        cache: { ttl: CACHE_TTL },
        compress: true,
        logger: false,
      }
    default:
      throw new Error(`front mode is not measured with layer ${spec.layer}`)
  }
}
