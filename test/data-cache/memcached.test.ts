/**
 * The data cache on a real Memcached (a private server per file, started and stopped here).
 */
import { BriskMetrics } from '@brisk/core'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDataCache } from '../../packages/cache/src/data/index.js'
import { memcachedStore, type MemcachedStore } from '../../packages/cache/src/stores/memcached-store.js'
import { startMemcached, type MemcachedProcess } from '../stores/memcached-server.js'

function deferred<T>() {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((res) => {
    resolve = res
  })
  return { promise, resolve }
}

describe('data cache on Memcached', () => {
  let server: MemcachedProcess
  const stores: MemcachedStore[] = []

  function instance(options: { timeout?: number; resetTimeout?: number } = {}) {
    const metrics = new BriskMetrics()
    // A shared machine may be slow; the fault test sets its own short timeout.
    const store = memcachedStore({
      servers: server.servers,
      timeout: '2s',
      logger: false,
      metrics,
      ...options,
    })
    stores.push(store)
    return { cache: createDataCache({ store, logger: false, metrics }), store, metrics }
  }

  beforeAll(async () => {
    server = await startMemcached()
  })

  afterAll(async () => {
    await Promise.all(stores.map((store) => store.close?.()))
    await server?.stop()
  })

  it.each<[string, unknown]>([
    ['a plain object', { id: 1, list: [1, 'two', null] }],
    ['undefined', undefined],
    ['a Date', new Date('2024-02-29T00:00:00.000Z')],
    ['a Buffer', Buffer.from([0, 255, 10, 13])],
    ['a Map of Sets', new Map([['s', new Set([1, 2])]])],
  ])('round-trips %s', async (label, value) => {
    const { cache } = instance()
    await cache.set(`value:${label}`, value)
    expect(await instance().cache.get(`value:${label}`)).toStrictEqual(value)
    expect(await instance().cache.has(`value:${label}`)).toBe(true)
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
    const keys = Array.from({ length: 10 }, (_, i) => `shared:${i}`)
    await Promise.all(keys.flatMap((key) => [a.getOrSet(key, factory(key)), b.getOrSet(key, factory(key))]))
    expect([...calls.values()]).toEqual(keys.map(() => 1))
  })

  it('purges by tag data entries and stored responses alike', async () => {
    const a = instance()
    const b = instance()
    await a.cache.set('post:42', { title: 'Hello' }, { tags: ['post:42'] })
    await a.cache.set('post:43', { title: 'Other' }, { tags: ['post:43'] })
    await a.store.set(
      'GET /posts/42',
      { meta: { status: 200 }, body: Buffer.from('<h1>Hello</h1>') },
      {
        ttl: 60_000,
        tags: ['post:42'],
      },
    )
    await b.cache.deleteByTag('post:42')
    expect(await a.cache.get('post:42')).toBeUndefined()
    expect(await a.store.get('GET /posts/42')).toBeUndefined()
    expect(await a.cache.get('post:43')).toEqual({ title: 'Other' })
  })

  it('clears a namespace and nothing else', async () => {
    const { cache } = instance()
    await cache.namespace('users').set('1', 'Ada')
    await cache.namespace('posts').set('1', 'Hello')
    await instance().cache.namespace('users').clear()
    expect(await cache.namespace('users').get('1')).toBeUndefined()
    expect(await cache.namespace('posts').get('1')).toBe('Hello')
  })

  it('computes values while Memcached is down, then caches again once it is back', async () => {
    const { cache, metrics } = instance({ timeout: 300, resetTimeout: 50 })
    expect(await cache.getOrSet('k', () => 'before')).toBe('before')
    await server.stop()
    try {
      const factory = vi.fn(async (n: number) => `computed ${n}`)
      for (let i = 0; i < 5; i++)
        expect(await cache.getOrSet(`down:${i}`, () => factory(i))).toBe(`computed ${i}`)
      expect(factory).toHaveBeenCalledTimes(5)
      expect(metrics.get('backend.incident')).toBe(1)
    } finally {
      await server.restart()
    }
    await vi.waitFor(
      async () => {
        await cache.getOrSet('after', () => 'back')
        expect(await cache.has('after')).toBe(true)
      },
      { timeout: 10_000, interval: 100 },
    )
    const after = vi.fn(() => 'recomputed')
    expect(await cache.getOrSet('after', after)).toBe('back')
    expect(after).not.toHaveBeenCalled()
  })
})
