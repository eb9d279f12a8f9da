/**
 * The data cache on tiered stores (memory L1 over a shared Redis L2): two instances, each with
 * its own L1, as two servers of one fleet.
 */
import { randomBytes } from 'node:crypto'
import { BriskMetrics } from '@brisk/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDataCache, type DataCache } from '../../packages/cache/src/data/index.js'
import { memoryStore } from '../../packages/cache/src/stores/memory-store.js'
import { redisStore } from '../../packages/cache/src/stores/redis-store.js'
import {
  tieredStore,
  type InvalidationEvent,
  type TieredStore,
} from '../../packages/cache/src/stores/tiered-store.js'
import { REDIS_URL, sharedRedisAvailable } from '../support/redis-server.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

interface Instance {
  cache: DataCache
  store: TieredStore
  /** Resolves once another instance made this one apply `expected` to its L1. */
  invalidated(expected: InvalidationEvent): Promise<void>
}

describe.runIf(runRedis)('data cache on tiered stores across two instances', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  const clients: Redis[] = []
  let a: Instance
  let b: Instance

  async function instance(): Promise<Instance> {
    const client = new Redis(REDIS_URL)
    clients.push(client)
    const l2 = redisStore({ client, prefix, timeout: '2s', logger: false })
    const store = tieredStore({ l1: memoryStore(), l2, logger: false })
    await store.ready()
    const cache = createDataCache({ store, logger: false, metrics: new BriskMetrics() })
    const invalidated = (expected: InvalidationEvent) =>
      new Promise<void>((resolve) => {
        const off = store.onInvalidation((event) => {
          if (JSON.stringify(event) !== JSON.stringify(expected)) return
          off()
          resolve()
        })
      })
    return { cache, store, invalidated }
  }

  beforeAll(async () => {
    a = await instance()
    b = await instance()
  })

  afterAll(async () => {
    await a.store.clear()
    await Promise.all([a.store.close?.(), b.store.close?.()])
    await Promise.all(clients.map((client) => client.quit()))
  })

  it('serves the other instance’s value from its own L1 after the first read', async () => {
    // a's write also drops b's L1 copy of the key (invalidateOnSet); let that land first.
    const seenByB = b.invalidated({ kind: 'delete', key: 'data:user:1' })
    await a.cache.getOrSet('user:1', () => ({ name: 'Ada' }))
    await seenByB
    const factory = vi.fn(() => ({ name: 'not this' }))
    expect(await b.cache.getOrSet('user:1', factory)).toEqual({ name: 'Ada' })
    expect(await b.store.l1.get('data:user:1')).toBeDefined()
    expect(factory).not.toHaveBeenCalled()
  })

  it('purges a tag from both L1s, reaching data entries and stored responses alike', async () => {
    const writesSeenByB = Promise.all([
      b.invalidated({ kind: 'delete', key: 'data:post:42' }),
      b.invalidated({ kind: 'delete', key: 'GET /posts/42' }),
    ])
    await a.cache.getOrSet('post:42', () => ({ title: 'Hello' }), { tags: ['post:42'] })
    await a.store.set(
      'GET /posts/42',
      { meta: { status: 200 }, body: Buffer.from('<h1>Hello</h1>') },
      {
        ttl: 60_000,
        tags: ['post:42'],
      },
    )
    await writesSeenByB
    // b reads both, so its L1 holds a copy of each.
    expect(await b.cache.get('post:42')).toEqual({ title: 'Hello' })
    expect(await b.store.get('GET /posts/42')).toBeDefined()
    expect(await b.store.l1.get('GET /posts/42')).toBeDefined()

    const seenByA = a.invalidated({ kind: 'tag', tag: 'post:42' })
    await b.cache.deleteByTag('post:42')
    await seenByA

    for (const { cache, store } of [a, b]) {
      expect(await cache.get('post:42')).toBeUndefined()
      expect(await store.get('GET /posts/42')).toBeUndefined()
    }
    const factory = vi.fn(() => ({ title: 'Edited' }))
    expect(await a.cache.getOrSet('post:42', factory)).toEqual({ title: 'Edited' })
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('clears a namespace on every instance', async () => {
    await a.cache.namespace('users').set('7', 'Grace')
    expect(await b.cache.namespace('users').get('7')).toBe('Grace')
    const seenByB = b.invalidated({ kind: 'tag', tag: 'brisk-ns:data:users:' })
    await a.cache.namespace('users').clear()
    await seenByB
    expect(await b.cache.namespace('users').get('7')).toBeUndefined()
    expect(await a.cache.namespace('users').get('7')).toBeUndefined()
  })

  it('runs the factory once per key when both instances miss at the same time', async () => {
    const calls = vi.fn()
    const factory = async () => {
      calls()
      await new Promise((resolve) => setTimeout(resolve, 20))
      return 'computed once'
    }
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 === 0 ? a : b).cache.getOrSet('cold', factory)),
    )
    expect(new Set(results)).toEqual(new Set(['computed once']))
    expect(calls).toHaveBeenCalledTimes(1)
  })
})
