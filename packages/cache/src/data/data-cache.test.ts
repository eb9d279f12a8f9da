import { BackendUnavailableError, BriskMetrics, BriskOptionError, type BriskLogger } from '@brisk/core'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { CacheStore } from '../store.js'
import { memoryStore } from '../stores/memory-store.js'
import { createDataCache } from './data-cache.js'
import type { DataCacheOptions } from './options.js'
import {
  DataCacheSerializeError,
  jsonOrV8Serializer,
  v8Serializer,
  type DataSerializer,
} from './serializer.js'
import { DataCacheTimeoutError } from './timeout.js'

/** A clock the test moves by hand; the cache reads freshness from it. */
function manualClock(start = 1_700_000_000_000) {
  let now = start
  return {
    now: () => now,
    advance(ms: number) {
      now += ms
    },
  }
}

/** A memory store that can be switched to failing, as a guarded remote store fails. */
function switchableStore(error: () => Error = () => new BackendUnavailableError('test store', 'error')) {
  const inner = memoryStore()
  let down = false
  const guard = <T>(op: () => Promise<T>): Promise<T> => (down ? Promise.reject(error()) : op())
  const store: CacheStore = {
    name: 'switchable',
    get: (key) => guard(() => inner.get(key)),
    set: (key, entry, options) => guard(() => inner.set(key, entry, options)),
    delete: (key) => guard(() => inner.delete(key)),
    deleteByTag: (tag) => guard(() => inner.deleteByTag(tag)),
    clear: () => guard(() => inner.clear()),
  }
  return {
    store,
    inner,
    setDown(value: boolean) {
      down = value
    },
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void
  let reject!: (error: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

function recordingLogger() {
  const lines: { level: string; msg: string | undefined }[] = []
  const at =
    (level: string) =>
    (_obj: object, msg?: string): void => {
      lines.push({ level, msg })
    }
  const logger: BriskLogger = { error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug') }
  return { logger, lines }
}

function setup(options: Partial<DataCacheOptions> = {}) {
  const clock = manualClock()
  const metrics = new BriskMetrics()
  const store = options.store ?? memoryStore()
  const cache = createDataCache({ store, now: clock.now, metrics, logger: false, ...options })
  return { cache, clock, metrics, store }
}

afterEach(() => {
  vi.useRealTimers()
})

describe('getOrSet', () => {
  it('computes a missing value once and answers later calls from the store', async () => {
    const { cache, metrics } = setup()
    const factory = vi.fn(async () => ({ id: 1 }))
    expect(await cache.getOrSet('user:1', factory)).toEqual({ id: 1 })
    expect(await cache.getOrSet('user:1', factory)).toEqual({ id: 1 })
    expect(factory).toHaveBeenCalledTimes(1)
    expect(metrics.get('data.miss')).toBe(1)
    expect(metrics.get('data.hit')).toBe(1)
  })

  it('runs the factory once for 1,000 concurrent calls on a cold key', async () => {
    const { cache } = setup()
    const gate = deferred<string>()
    const factory = vi.fn(() => gate.promise)
    const calls = Array.from({ length: 1000 }, () => cache.getOrSet('cold', factory))
    gate.resolve('computed')
    const values = await Promise.all(calls)
    expect(factory).toHaveBeenCalledTimes(1)
    expect(new Set(values)).toEqual(new Set(['computed']))
  })

  it('makes one store read for 1,000 concurrent calls on a cached key', async () => {
    const inner = memoryStore()
    const get = vi.fn((key: string) => inner.get(key))
    const { cache } = setup({ store: { ...inner, get } })
    await cache.set('hot', 'value')
    const values = await Promise.all(
      Array.from({ length: 1000 }, () => cache.getOrSet('hot', () => 'recomputed')),
    )
    expect(new Set(values)).toEqual(new Set(['value']))
    expect(get).toHaveBeenCalledTimes(1)
  })

  it('runs one factory per key when concurrent calls ask for different keys', async () => {
    const { cache } = setup()
    const factory = vi.fn(async (key: string) => `value of ${key}`)
    const keys = Array.from({ length: 1000 }, (_, i) => `k${i % 10}`)
    const values = await Promise.all(keys.map((key) => cache.getOrSet(key, () => factory(key))))
    expect(factory).toHaveBeenCalledTimes(10)
    expect(values[13]).toBe('value of k3')
  })

  it('recomputes once the ttl has passed', async () => {
    const { cache, clock } = setup({ ttl: '10s' })
    await cache.getOrSet('k', () => 'first')
    clock.advance(10_000)
    expect(await cache.getOrSet('k', () => 'second')).toBe('second')
  })

  it('caches undefined as a value, not as a miss', async () => {
    const { cache } = setup()
    const factory = vi.fn(() => undefined)
    await cache.getOrSet('nothing', factory)
    expect(await cache.getOrSet('nothing', factory)).toBeUndefined()
    expect(factory).toHaveBeenCalledTimes(1)
    expect(await cache.has('nothing')).toBe(true)
  })

  it('rejects with the factory error when there is no stale value, and stores nothing', async () => {
    const { cache, metrics } = setup()
    await expect(
      cache.getOrSet('k', () => {
        throw new Error('db down')
      }),
    ).rejects.toThrow('db down')
    expect(metrics.get('data.factoryError')).toBe(1)
    expect(await cache.getOrSet('k', () => 'recovered')).toBe('recovered')
  })

  it('uses a per-call ttl over the default', async () => {
    const { cache, clock } = setup({ ttl: '1h' })
    await cache.getOrSet('k', () => 'short', { ttl: 1000 })
    clock.advance(1000)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('rejects a bad per-call option with an error naming it', async () => {
    const { cache } = setup()
    // As a rejection, so that getOrSet(...).catch(...) sees it like any other failure.
    await expect(cache.getOrSet('k', () => 1, { ttl: -5 })).rejects.toThrow(BriskOptionError)
    await expect(cache.getOrSet('k', () => 1, { earlyRefresh: 2 })).rejects.toThrow(/earlyRefresh/)
    await expect(cache.set('k', 1, { ttl: -5 })).rejects.toThrow(BriskOptionError)
  })
})

describe('grace', () => {
  it('serves the stale value within grace when the factory throws', async () => {
    const { cache, clock, metrics } = setup({ ttl: '1m', grace: '1h' })
    await cache.getOrSet('k', () => 'good')
    clock.advance(5 * 60_000)
    const value = await cache.getOrSet('k', () => {
      throw new Error('db down')
    })
    expect(value).toBe('good')
    expect(metrics.get('data.stale')).toBe(1)
    expect(metrics.get('data.factoryError')).toBe(1)
  })

  it('rejects with the factory error once grace has passed too', async () => {
    const { cache, clock } = setup({ ttl: '1m', grace: '10m' })
    await cache.getOrSet('k', () => 'good')
    clock.advance(11 * 60_000)
    await expect(
      cache.getOrSet('k', () => {
        throw new Error('db down')
      }),
    ).rejects.toThrow('db down')
  })

  it('does not answer get() with a stale value', async () => {
    const { cache, clock } = setup({ ttl: '1m', grace: '1h' })
    await cache.set('k', 'v')
    clock.advance(60_000)
    expect(await cache.get('k')).toBeUndefined()
  })

  it('replaces the stale value when the factory succeeds', async () => {
    const { cache, clock } = setup({ ttl: '1m', grace: '1h' })
    await cache.set('k', 'old')
    clock.advance(2 * 60_000)
    expect(await cache.getOrSet('k', () => 'new')).toBe('new')
    expect(await cache.get('k')).toBe('new')
  })
})

describe('timeouts', () => {
  it('returns the stale value after the soft timeout and stores the factory value when it arrives', async () => {
    const { cache, clock, metrics } = setup({ ttl: '1m', grace: '1h', timeout: 100 })
    await cache.set('k', 'stale')
    clock.advance(2 * 60_000)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const slow = deferred<string>()
    const pending = cache.getOrSet('k', () => slow.promise)
    await vi.advanceTimersByTimeAsync(100)
    expect(await pending).toBe('stale')
    expect(metrics.get('data.timeout')).toBe(1)
    expect(metrics.get('data.stale')).toBe(1)
    slow.resolve('fresh')
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('fresh'))
  })

  it('waits past the soft timeout when there is no stale value', async () => {
    const { cache } = setup({ timeout: 100 })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const slow = deferred<string>()
    const pending = cache.getOrSet('k', () => slow.promise)
    await vi.advanceTimersByTimeAsync(10_000)
    slow.resolve('late but fine')
    expect(await pending).toBe('late but fine')
  })

  it('rejects with DataCacheTimeoutError after the hard timeout and still stores the late value', async () => {
    const { cache, metrics } = setup({ hardTimeout: '2s' })
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const slow = deferred<string>()
    const pending = cache.getOrSet('k', () => slow.promise)
    const outcome = expect(pending).rejects.toThrow(DataCacheTimeoutError)
    await vi.advanceTimersByTimeAsync(2000)
    await outcome
    await expect(pending).rejects.toThrow(/"k" did not settle within the hard timeout of 2000 ms/)
    expect(metrics.get('data.timeout')).toBe(1)
    slow.resolve('late')
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('late'))
  })

  it('lets a call that arrives during a background run join it instead of starting another', async () => {
    const { cache, clock } = setup({ ttl: '1m', grace: '1h', timeout: 100 })
    await cache.set('k', 'stale')
    clock.advance(2 * 60_000)
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] })
    const slow = deferred<string>()
    const factory = vi.fn(() => slow.promise)
    const first = cache.getOrSet('k', factory)
    await vi.advanceTimersByTimeAsync(100)
    await first
    const second = cache.getOrSet('k', factory)
    await vi.advanceTimersByTimeAsync(100)
    expect(await second).toBe('stale')
    expect(factory).toHaveBeenCalledTimes(1)
    slow.resolve('fresh')
  })
})

describe('early refresh', () => {
  it('refreshes a hot entry in the background once, serving the current value meanwhile', async () => {
    const { cache, clock } = setup({ ttl: 1000, earlyRefresh: 0.8 })
    await cache.set('k', 'v1')
    clock.advance(800)
    const refresh = deferred<string>()
    const factory = vi.fn(() => refresh.promise)
    const hits = await Promise.all(Array.from({ length: 50 }, () => cache.getOrSet('k', factory)))
    expect(new Set(hits)).toEqual(new Set(['v1']))
    for (let i = 0; i < 20; i++) expect(await cache.getOrSet('k', factory)).toBe('v1')
    expect(factory).toHaveBeenCalledTimes(1)
    refresh.resolve('v2')
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('v2'))
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('does not refresh before the configured fraction of the ttl', async () => {
    const { cache, clock } = setup({ ttl: 1000, earlyRefresh: 0.8 })
    await cache.set('k', 'v1')
    clock.advance(799)
    const factory = vi.fn(() => 'v2')
    expect(await cache.getOrSet('k', factory)).toBe('v1')
    expect(factory).not.toHaveBeenCalled()
  })

  it('fires only once for an entry even when the refresh fails', async () => {
    const { cache, clock, metrics } = setup({ ttl: 1000, earlyRefresh: 0.5 })
    await cache.set('k', 'v1')
    clock.advance(600)
    const factory = vi.fn(async () => {
      throw new Error('db down')
    })
    for (let i = 0; i < 10; i++) {
      expect(await cache.getOrSet('k', factory)).toBe('v1')
      await new Promise((resolve) => setImmediate(resolve))
    }
    expect(factory).toHaveBeenCalledTimes(1)
    expect(metrics.get('data.factoryError')).toBe(1)
  })

  it('fires again for the next entry', async () => {
    const { cache, clock } = setup({ ttl: 1000, earlyRefresh: 0.5 })
    await cache.set('k', 'v1')
    clock.advance(600)
    await cache.getOrSet('k', () => 'v2')
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('v2'))
    clock.advance(600)
    await cache.getOrSet('k', () => 'v3')
    await vi.waitFor(async () => expect(await cache.get('k')).toBe('v3'))
  })
})

describe('values', () => {
  it('rejects set() of a value that cannot be serialized and stores nothing', async () => {
    const { cache } = setup()
    await cache.set('k', 'before')
    await expect(cache.set('k', { run: () => 1 })).rejects.toThrow(DataCacheSerializeError)
    await expect(cache.set('k', { run: () => 1 })).rejects.toThrow(
      /value for key "k" cannot be serialized by json-v8/,
    )
    expect(await cache.get('k')).toBe('before')
  })

  it('rejects getOrSet() when the factory returns a value that cannot be serialized', async () => {
    const { cache } = setup({ grace: '1h' })
    await expect(cache.getOrSet('k', () => Symbol('x'))).rejects.toThrow(DataCacheSerializeError)
    expect(await cache.has('k')).toBe(false)
  })

  it('decodes a memory-store entry once, however many hits it serves', async () => {
    const deserialize = vi.fn((bytes: Buffer) => jsonOrV8Serializer.deserialize(bytes))
    const serializer: DataSerializer = { ...jsonOrV8Serializer, deserialize }
    const { cache } = setup({ serializer })
    await cache.set('k', { list: [1, 2, 3] })
    for (let i = 0; i < 100; i++) await cache.getOrSet('k', () => ({ list: [] }))
    expect(deserialize).toHaveBeenCalledTimes(1)
  })

  it('reads an entry written by another serializer as a miss', async () => {
    const store = memoryStore()
    await setup({ store, serializer: v8Serializer }).cache.set('k', 'from v8')
    const { cache } = setup({ store })
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.getOrSet('k', () => 'recomputed')).toBe('recomputed')
  })

  it('reads an entry whose bytes do not decode as a miss and drops it', async () => {
    const store = memoryStore()
    const { cache } = setup({ store })
    await cache.set('k', 'v')
    const entry = await store.get('data:k')
    await store.set('data:k', { meta: entry!.meta, body: Buffer.from('{broken') }, { ttl: 60_000 })
    expect(await cache.getOrSet('k', () => 'recomputed')).toBe('recomputed')
  })
})

describe('tags and namespaces', () => {
  it('deleteByTag removes data entries and stored responses carrying the tag', async () => {
    const store = memoryStore()
    const { cache } = setup({ store })
    await cache.set('post:42', { title: 'Hello' }, { tags: ['post:42'] })
    await cache.set('post:43', { title: 'Other' }, { tags: ['post:43'] })
    await store.set(
      'GET /posts/42',
      { meta: { status: 200 }, body: Buffer.from('<h1>Hello</h1>') },
      {
        ttl: 60_000,
        tags: ['post:42'],
      },
    )
    expect(await cache.deleteByTag('post:42')).toBe(2)
    expect(await cache.get('post:42')).toBeUndefined()
    expect(await store.get('GET /posts/42')).toBeUndefined()
    expect(await cache.get('post:43')).toEqual({ title: 'Other' })
  })

  it('does not store a value computed while a purge happened, but still returns it', async () => {
    const { cache } = setup()
    const slow = deferred<string>()
    const factory = vi.fn(() => slow.promise)
    const pending = cache.getOrSet('post:1', factory, { tags: ['post:1'] })
    await vi.waitFor(() => expect(factory).toHaveBeenCalled())
    await cache.deleteByTag('post:1')
    slow.resolve('read before the purge')
    expect(await pending).toBe('read before the purge')
    expect(await cache.has('post:1')).toBe(false)
  })

  it('does not store a value computed while its key was deleted', async () => {
    const { cache } = setup()
    const slow = deferred<string>()
    const factory = vi.fn(() => slow.promise)
    const pending = cache.getOrSet('k', factory)
    await vi.waitFor(() => expect(factory).toHaveBeenCalled())
    await cache.delete('k')
    slow.resolve('old')
    await pending
    expect(await cache.getOrSet('k', () => 'new')).toBe('new')
  })

  it('keeps a namespace under its own key prefix', async () => {
    const store = memoryStore()
    const { cache } = setup({ store })
    await cache.namespace('users').set('1', 'Ada')
    expect(await store.get('data:users:1')).toBeDefined()
    expect(await cache.get('1')).toBeUndefined()
    expect(await cache.namespace('users').get('1')).toBe('Ada')
  })

  it('clears a namespace and the namespaces nested in it, and nothing else', async () => {
    const { cache } = setup()
    const users = cache.namespace('users')
    const admins = users.namespace('admins')
    await users.set('1', 'Ada')
    await admins.set('2', 'Grace')
    await cache.namespace('posts').set('1', 'Hello')
    await cache.set('top', 'level')
    await users.clear()
    expect(await users.get('1')).toBeUndefined()
    expect(await admins.get('2')).toBeUndefined()
    expect(await cache.namespace('posts').get('1')).toBe('Hello')
    expect(await cache.get('top')).toBe('level')
  })

  it('adds per-call tags to a namespace entry without losing the namespace tag', async () => {
    const { cache } = setup()
    const users = cache.namespace('users')
    await users.getOrSet('1', () => 'Ada', { tags: ['user:1'] })
    await users.set('2', 'Grace', { tags: ['user:2'] })
    await cache.deleteByTag('user:1')
    expect(await users.get('1')).toBeUndefined()
    await users.clear()
    expect(await users.get('2')).toBeUndefined()
  })

  it('refuses an empty namespace name', () => {
    expect(() => setup().cache.namespace('')).toThrow(/non-empty name/)
  })
})

describe('wrap', () => {
  it('memoizes an async function by its arguments', async () => {
    const { cache } = setup()
    const load = vi.fn(async (id: number, lang: string) => `${id}/${lang}`)
    const cached = cache.wrap(load, { key: (id, lang) => `post:${id}:${lang}` })
    expect(await cached(1, 'en')).toBe('1/en')
    expect(await cached(1, 'en')).toBe('1/en')
    expect(await cached(2, 'en')).toBe('2/en')
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('builds a default key from the function name and arguments', async () => {
    const store = memoryStore()
    const { cache } = setup({ store })
    async function findUser(id: number) {
      return { id }
    }
    await cache.wrap(findUser)(7)
    expect(await store.get('data:findUser:[7]')).toBeDefined()
  })

  it('tags each call from its arguments', async () => {
    const { cache } = setup()
    const load = vi.fn(async (id: number) => id)
    const cached = cache.wrap(load, { key: (id) => `p${id}`, tags: (id) => [`post:${id}`] })
    await cached(1)
    await cache.deleteByTag('post:1')
    await cached(1)
    expect(load).toHaveBeenCalledTimes(2)
  })

  it('refuses an anonymous function without a key option', () => {
    expect(() => setup().cache.wrap(async () => 1)).toThrow(/needs a key option/)
  })

  it('validates its options when wrapping, not when called', () => {
    expect(() => setup().cache.wrap(async function f() {}, { ttl: 'soon' })).toThrow(BriskOptionError)
  })
})

describe('store faults', () => {
  it('computes the value when the store is down, and never throws because of it', async () => {
    const { store, setDown } = switchableStore()
    const { cache } = setup({ store })
    setDown(true)
    expect(await cache.getOrSet('k', () => 'computed')).toBe('computed')
    expect(await cache.get('k')).toBeUndefined()
    expect(await cache.has('k')).toBe(false)
    expect(await cache.set('k', 'v')).toBe(false)
  })

  it('still coalesces concurrent calls while the store is down', async () => {
    const { store, setDown } = switchableStore()
    const { cache } = setup({ store })
    setDown(true)
    const factory = vi.fn(async () => 'computed')
    await Promise.all(Array.from({ length: 100 }, () => cache.getOrSet('k', factory)))
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('caches again once the store is back', async () => {
    const { store, setDown } = switchableStore()
    const { cache } = setup({ store })
    setDown(true)
    await cache.getOrSet('k', () => 'while down')
    setDown(false)
    const factory = vi.fn(() => 'after')
    await cache.getOrSet('k', factory)
    await cache.getOrSet('k', factory)
    expect(factory).toHaveBeenCalledTimes(1)
  })

  it('rejects delete and deleteByTag while the store is down: a lost invalidation is not silent', async () => {
    const { store, setDown } = switchableStore()
    const { cache } = setup({ store })
    setDown(true)
    await expect(cache.delete('k')).rejects.toThrow(BackendUnavailableError)
    await expect(cache.deleteByTag('t')).rejects.toThrow(BackendUnavailableError)
  })

  it('leaves logging of guarded store faults to the store', async () => {
    const { store, setDown } = switchableStore()
    const { logger, lines } = recordingLogger()
    const { cache } = setup({ store, logger })
    setDown(true)
    for (let i = 0; i < 20; i++) await cache.getOrSet(`k${i}`, () => i)
    expect(lines).toEqual([])
  })

  it('logs an unguarded store error once per incident, not once per call', async () => {
    const { store, setDown } = switchableStore(() => new Error('custom store broke'))
    const { logger, lines } = recordingLogger()
    const { cache } = setup({ store, logger })
    setDown(true)
    for (let i = 0; i < 20; i++) await cache.getOrSet(`k${i}`, () => i)
    setDown(false)
    await cache.getOrSet('k0', () => 0)
    expect(lines.map((line) => line.level)).toEqual(['warn', 'info'])
  })
})

describe('createDataCache options', () => {
  const store = memoryStore()
  it.each([
    ['store', { store: undefined }],
    ['store', { store: { get() {} } }],
    ['ttl', { store, ttl: 0 }],
    ['ttl', { store, ttl: 'a while' }],
    ['grace', { store, grace: -1 }],
    ['timeout', { store, timeout: 0 }],
    ['hardTimeout', { store, hardTimeout: 'x' }],
    ['earlyRefresh', { store, earlyRefresh: 1 }],
    ['earlyRefresh', { store, earlyRefresh: 0 }],
    ['lockTimeout', { store, lockTimeout: 0 }],
    ['serializer', { store, serializer: { name: 'x' } }],
    ['prefix', { store, prefix: 5 }],
    ['now', { store, now: 5 }],
  ])('rejects a bad %s at creation', (option, options) => {
    let thrown: unknown
    try {
      createDataCache(options as unknown as DataCacheOptions)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(BriskOptionError)
    expect((thrown as BriskOptionError).option).toBe(option)
  })

  it('accepts durations as strings and disables grace with false', () => {
    expect(() =>
      createDataCache({ store, ttl: '5m', grace: false, timeout: '50ms', earlyRefresh: 0.9 }),
    ).not.toThrow()
  })
})
