/**
 * The data-cache scenario in its own process (pinned to core 0 like the servers): `getOrSet`
 * hits in a tight loop, no HTTP. Every variant is set up once, warmed, then measured in
 * interleaved rounds; Redis keys live under the harness's prefix.
 */
import { createDataCache, memoryStore, redisStore, tieredStore } from '@brisk/cache'
import { createKeyv } from '@keyv/redis'
import { BentoCache, bentostore } from 'bentocache'
import { memoryDriver } from 'bentocache/drivers/memory'
import { redisBusDriver, redisDriver } from 'bentocache/drivers/redis'
import { createCache } from 'cache-manager'
import { Redis } from 'ioredis'
import { Keyv } from 'keyv'
import { frontPagePosts } from './page.js'
import type { DataCacheVariant } from './scenarios.js'

export interface DataCacheJob {
  type: 'run'
  variants: DataCacheVariant['id'][]
  /** Seconds per measured loop. */
  duration: number
  warmup: number
  repeats: number
  redis: { url: string; prefix: string } | undefined
}

export type DataCacheReply =
  | { type: 'result'; opsPerSecond: Record<string, number[]>; errors: Record<string, string> }
  | { type: 'error'; message: string }

interface Subject {
  getOrSet(): Promise<unknown>
  close(): Promise<void>
}

const TTL_MS = 10 * 60_000
const KEY = 'front-page-posts'
/** What the factory "queries": the 30 rows of the front page, the kind of value a data cache holds. */
const factory = async (): Promise<unknown> => frontPagePosts()

async function subject(id: DataCacheVariant['id'], redis: DataCacheJob['redis']): Promise<Subject> {
  const needRedis = (): { url: string; prefix: string } => {
    if (redis === undefined) throw new Error(`${id} needs Redis`)
    return redis
  }
  switch (id) {
    case 'brisk-memory': {
      const cache = createDataCache({ store: memoryStore({ maxSize: '64 MB' }), ttl: TTL_MS, logger: false })
      return { getOrSet: () => cache.getOrSet(KEY, factory), close: async () => {} }
    }
    case 'brisk-tiered': {
      const { url, prefix } = needRedis()
      const client = new Redis(url, { maxRetriesPerRequest: 1 })
      const store = tieredStore({
        l1: memoryStore({ maxSize: '64 MB' }),
        l2: redisStore({ client, prefix: `${prefix}brisk:`, logger: false }),
        logger: false,
      })
      await store.ready()
      const cache = createDataCache({ store, ttl: TTL_MS, logger: false })
      return {
        getOrSet: () => cache.getOrSet(KEY, factory),
        close: async () => {
          await store.close?.()
          client.disconnect()
        },
      }
    }
    case 'bentocache-memory':
    case 'bentocache-tiered': {
      // serialize: false keeps values as objects in L1, as brisk's memory store does.
      let store = bentostore().useL1Layer(memoryDriver({ maxItems: 100_000, serialize: false }))
      const clients: Redis[] = []
      if (id === 'bentocache-tiered') {
        const { url, prefix } = needRedis()
        const connection = new Redis(url, { maxRetriesPerRequest: 1 })
        clients.push(connection)
        store = store.useL2Layer(redisDriver({ connection, prefix: `${prefix}bento` })).useBus(
          redisBusDriver({
            connection: redisOptions(url),
          }),
        )
      }
      const bento = new BentoCache({ default: 'cache', stores: { cache: store } })
      return {
        getOrSet: () => bento.getOrSet({ key: KEY, factory, ttl: TTL_MS }),
        close: async () => {
          await bento.disconnectAll()
          for (const client of clients) client.disconnect()
        },
      }
    }
    case 'cache-manager-memory':
    case 'cache-manager-tiered': {
      // Keyv serializes to JSON even in memory by default; off, its Map keeps objects as brisk's
      // memory store and bentocache (serialize: false) do, so the three L1s do comparable work.
      const memory = new Keyv()
      memory.serialize = undefined
      memory.deserialize = undefined
      const stores = [memory]
      if (id === 'cache-manager-tiered') {
        const { url, prefix } = needRedis()
        stores.push(createKeyv(url, { namespace: `${prefix}cm` }))
      }
      const cache = createCache({ stores })
      return {
        getOrSet: () => cache.wrap(KEY, factory, TTL_MS),
        close: async () => void (await cache.disconnect()),
      }
    }
  }
}

/** ioredis options from a redis:// URL (the bus opens its own publisher and subscriber from them). */
function redisOptions(url: string): { host: string; port: number; password?: string; db: number } {
  const parsed = new URL(url)
  const password = decodeURIComponent(parsed.password)
  return {
    host: parsed.hostname,
    port: Number(parsed.port || 6379),
    db: Number(parsed.pathname.slice(1) || 0),
    ...(password === '' ? {} : { password }),
  }
}

/** Awaited getOrSet calls per second for `seconds` (the clock is read every 256 calls). */
async function loop(target: Subject, seconds: number): Promise<number> {
  const start = performance.now()
  const end = start + seconds * 1000
  let calls = 0
  let now = start
  while (now < end) {
    for (let i = 0; i < 256; i++) await target.getOrSet()
    calls += 256
    now = performance.now()
  }
  return calls / ((now - start) / 1000)
}

async function run(job: DataCacheJob): Promise<DataCacheReply> {
  const subjects = new Map<string, Subject>()
  const errors: Record<string, string> = {}
  const opsPerSecond: Record<string, number[]> = {}
  try {
    for (const id of job.variants) {
      try {
        const made = await subject(id, job.redis)
        await made.getOrSet()
        if (job.warmup > 0) await loop(made, job.warmup)
        subjects.set(id, made)
        opsPerSecond[id] = []
      } catch (error) {
        errors[id] = error instanceof Error ? error.message : String(error)
      }
    }
    for (let round = 0; round < job.repeats; round++) {
      for (const [id, target] of subjects) opsPerSecond[id]!.push(await loop(target, job.duration))
    }
  } finally {
    for (const target of subjects.values()) await target.close().catch(() => {})
  }
  return { type: 'result', opsPerSecond, errors }
}

process.on('message', (job: DataCacheJob) => {
  run(job).then(
    (reply) => process.send?.(reply),
    (error: unknown) =>
      process.send?.({ type: 'error', message: error instanceof Error ? error.message : String(error) }),
  )
})
process.on('disconnect', () => process.exit(0))
