/**
 * The data cache on real Redis: the shared server (unique key prefix, cleaned up), a private
 * 3-master cluster, and a private server stopped mid-run.
 */
import { randomBytes } from 'node:crypto'
import { BriskMetrics } from '@brisk/core'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDataCache, type DataCache } from '../../packages/cache/src/data/index.js'
import { redisStore, type RedisStore } from '../../packages/cache/src/stores/redis-store.js'
import {
  REDIS_URL,
  redisCommand,
  sharedRedisAvailable,
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisProcess,
} from '../support/redis-server.js'

// Redis tests run whenever a server answers, and always on CI (where a missing server fails them).
const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((res) => {
    resolve = res
  })
  return { promise, resolve }
}

const roundTrips: [string, unknown][] = [
  ['a plain object', { id: 1, name: 'Ada', tags: ['a', 'b'], nested: { ok: true, n: null } }],
  ['a string with multi-byte characters', 'résumé ✓ 日本'],
  ['null', null],
  ['undefined', undefined],
  ['an object holding undefined', { a: undefined }],
  ['a Date', new Date('2024-02-29T12:34:56.789Z')],
  ['a Buffer of every byte value', Buffer.from(Array.from({ length: 256 }, (_, i) => i))],
  ['a Uint8Array', new Uint8Array([1, 2, 3])],
  [
    'a Map',
    new Map<string, unknown>([
      ['when', new Date(1)],
      ['list', [1, 2]],
    ]),
  ],
  ['a Set', new Set(['a', 1])],
  ['a BigInt', 2n ** 70n],
]

/** Shared checks for a data cache on a Redis deployment: one process, two instances. */
function redisBehaviour(prefix: string, connect: () => Redis | Cluster) {
  let clients: (Redis | Cluster)[] = []
  let stores: RedisStore[] = []

  function instance(): { cache: DataCache; store: RedisStore } {
    const client = connect()
    // Separate connections stand for separate instances; a shared machine may be slow.
    const store = redisStore({ client, prefix, timeout: '2s', logger: false })
    clients.push(client)
    stores.push(store)
    return { cache: createDataCache({ store, logger: false, metrics: new BriskMetrics() }), store }
  }

  afterAll(async () => {
    await stores[0]?.clear()
    await Promise.all(clients.map((client) => client.quit()))
    clients = []
    stores = []
  })

  it.each(roundTrips)('round-trips %s through Redis', async (label, value) => {
    const { cache } = instance()
    await cache.set(`value:${label}`, value)
    const other = instance().cache
    expect(await other.get(`value:${label}`)).toStrictEqual(value)
  })

  it('runs the factory once for 1,000 concurrent calls on a cold key', async () => {
    const { cache } = instance()
    const gate = deferred<string>()
    const factory = vi.fn(() => gate.promise)
    const calls = Array.from({ length: 1000 }, () => cache.getOrSet('stampede', factory))
    gate.resolve('once')
    expect(new Set(await Promise.all(calls))).toEqual(new Set(['once']))
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('runs the factory once per key for two instances asking at the same time', async () => {
    const a = instance().cache
    const b = instance().cache
    const calls = new Map<string, number>()
    const factory = (key: string) => async () => {
      calls.set(key, (calls.get(key) ?? 0) + 1)
      await new Promise((resolve) => setTimeout(resolve, 20))
      return `value of ${key}`
    }
    const keys = Array.from({ length: 20 }, (_, i) => `shared:${i}`)
    const results = await Promise.all(
      keys.flatMap((key) =>
        [0, 1, 2].flatMap(() => [a.getOrSet(key, factory(key)), b.getOrSet(key, factory(key))]),
      ),
    )
    expect(results.every((value, i) => value === `value of ${keys[Math.floor(i / 6)]}`)).toBe(true)
    expect([...calls.values()]).toEqual(keys.map(() => 1))
  })

  it('hands the lock holder’s value to an instance that waited for it', async () => {
    const a = instance().cache
    const b = instance().cache
    const slow = deferred<string>()
    const aFactory = vi.fn(() => slow.promise)
    const first = a.getOrSet('waited', aFactory)
    // a calls its factory once it holds the lock; b then finds the lock held and polls for a's value.
    await vi.waitFor(() => expect(aFactory).toHaveBeenCalled())
    const bFactory = vi.fn(() => 'from b')
    const second = b.getOrSet('waited', bFactory)
    slow.resolve('from a')
    expect(await first).toBe('from a')
    expect(await second).toBe('from a')
    expect(bFactory).not.toHaveBeenCalled()
  })

  it('computes anyway once a crashed holder’s lock expires', async () => {
    const { cache, store } = instance()
    // A holder that took the lock and died: nobody ever releases it.
    expect(await store.lock('data:orphan', 300)).toBeDefined()
    const factory = vi.fn(() => 'computed after the lock expired')
    expect(await cache.getOrSet('orphan', factory, { lockTimeout: 300 })).toBe(
      'computed after the lock expired',
    )
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('purges by tag data entries and stored responses seen by another instance', async () => {
    const a = instance()
    const b = instance()
    await a.cache.getOrSet('post:42', () => ({ title: 'Hello' }), { tags: ['post:42'] })
    await a.cache.set('post:43', { title: 'Other' }, { tags: ['post:43'] })
    // A response-cache entry with the same tag, written the way the response cache writes it.
    await a.store.set(
      'GET /posts/42',
      { meta: { status: 200 }, body: Buffer.from('<h1>Hello</h1>') },
      {
        ttl: 60_000,
        tags: ['post:42'],
      },
    )
    expect(await b.cache.deleteByTag('post:42')).toBe(2)
    expect(await a.cache.get('post:42')).toBeUndefined()
    expect(await a.store.get('GET /posts/42')).toBeUndefined()
    expect(await a.cache.get('post:43')).toEqual({ title: 'Other' })
  })

  it('clears a namespace from another instance', async () => {
    const a = instance().cache
    const b = instance().cache
    await a.namespace('users').set('1', 'Ada')
    await a.namespace('posts').set('1', 'Hello')
    await b.namespace('users').clear()
    expect(await a.namespace('users').get('1')).toBeUndefined()
    expect(await a.namespace('posts').get('1')).toBe('Hello')
  })
}

describe.runIf(runRedis)('data cache on a single Redis node', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  redisBehaviour(prefix, () => new Redis(REDIS_URL))
})

describe.runIf(runRedis)('data cache on Redis Cluster', () => {
  let cluster: RedisCluster
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  })
  afterAll(async () => {
    await cluster?.stop()
  })
  redisBehaviour(prefix, () => new Cluster(cluster.startupNodes))
})

describe.runIf(runRedis)('data cache when Redis stops or stalls mid-run', () => {
  let server: RedisProcess
  let client: Redis
  let store: RedisStore
  let cache: DataCache
  const metrics = new BriskMetrics()

  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    // Connection errors while the server is stopped are the point of this test.
    client.on('error', () => {})
    store = redisStore({
      client,
      prefix: 'brisk-test:',
      timeout: 300,
      resetTimeout: 100,
      logger: false,
      metrics,
    })
    cache = createDataCache({ store, logger: false, metrics, ttl: '1m', grace: '1h' })
  })

  afterAll(async () => {
    client?.disconnect()
    await server?.stop()
  })

  it('computes values while Redis is down, then caches again once it is back', async () => {
    expect(await cache.getOrSet('k', () => 'cached before')).toBe('cached before')
    await server.stop()
    const factory = vi.fn(async (n: number) => `computed ${n}`)
    for (let i = 0; i < 5; i++) {
      expect(await cache.getOrSet(`down:${i}`, () => factory(i))).toBe(`computed ${i}`)
    }
    expect(factory).toHaveBeenCalledTimes(5)
    expect(metrics.get('backend.incident')).toBe(1)
    await server.restart()
    await vi.waitFor(
      async () => {
        await cache.getOrSet('after', () => 'back')
        expect(await store.get('data:after')).toBeDefined()
      },
      { timeout: 10_000, interval: 100 },
    )
    const after = vi.fn(() => 'recomputed')
    expect(await cache.getOrSet('after', after)).toBe('back')
    expect(after).not.toHaveBeenCalled()
  })

  it('computes the value when Redis answers slower than the store timeout', async () => {
    expect(await cache.getOrSet('slow', () => 'cached')).toBe('cached')
    // Every client's commands stall for 2 s, far beyond the store's 300 ms timeout.
    expect(await redisCommand(server.port, 'CLIENT PAUSE 2000 ALL')).toMatch(/^\+OK/)
    const factory = vi.fn(() => 'computed while Redis stalls')
    expect(await cache.getOrSet('stalled', factory)).toBe('computed while Redis stalls')
    expect(factory).toHaveBeenCalledTimes(1)
  })
})
