import { randomBytes } from 'node:crypto'
import type { BriskRequest, BriskResponse } from '@brisk/core'
import { BriskMetrics } from '@brisk/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  REDIS_URL,
  sharedRedisAvailable,
  startRedisServer,
  type RedisProcess,
} from '../../../test/support/redis-server.js'
import { cache, type ResponseCache } from './response-cache.js'
import type { CacheStore } from './store.js'
import { memoryStore, redisStore, tieredStore, type RedisStore, type TieredStore } from './stores/index.js'

// Redis tests run whenever a server answers, and always on CI (where a missing server fails them).
const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))

function request(url: string, headers: Record<string, string> = {}): BriskRequest {
  return { method: 'GET', url, headers, clientAddress: '127.0.0.1', hints: {} }
}

/** One "process": its own cache (own coalescer) on a store, and a counter of app calls. */
function instance(store: CacheStore, handler: (req: BriskRequest) => Promise<BriskResponse> | BriskResponse) {
  const metrics = new BriskMetrics()
  const mw: ResponseCache = cache({ store, logger: false, metrics })
  const counter = { calls: 0 }
  const run = (req: BriskRequest) =>
    mw(req, () => {
      counter.calls++
      return Promise.resolve(handler(req))
    })
  return { mw, run, counter, metrics }
}

const cacheable = (body: Buffer | string, headers: Record<string, string> = {}): BriskResponse => ({
  status: 200,
  headers: { 'cache-control': 'max-age=60', 'content-type': 'application/octet-stream', ...headers },
  body: Buffer.isBuffer(body) ? body : Buffer.from(body),
})

describe.runIf(runRedis)('cache() on redisStore (shared Redis, private prefix)', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  const clients: Redis[] = []
  let storeA: RedisStore
  let storeB: RedisStore

  beforeAll(() => {
    const make = () => {
      const client = new Redis(REDIS_URL)
      clients.push(client)
      // A shared machine may be slow; the guard's own timeout is tested on a private server.
      return redisStore({ client, prefix, timeout: '2s', logger: false })
    }
    storeA = make()
    storeB = make()
  })

  afterAll(async () => {
    await storeA.clear()
    for (const client of clients) await client.quit()
  })

  it('serves from one process a response another process stored, byte for byte', async () => {
    const a = instance(storeA, () => cacheable(allBytes))
    const b = instance(storeB, () => cacheable('wrong'))
    await a.run(request('/bytes'))
    const hit = await b.run(request('/bytes'))
    expect(b.counter.calls).toBe(0)
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=(59|60)$/)
    expect(Buffer.isBuffer(hit.body) && hit.body.equals(allBytes)).toBe(true)
  })

  it('keeps variants apart and purges them all by URL from another process', async () => {
    const a = instance(storeA, (req) =>
      cacheable(`lang ${String(req.headers['accept-language'])}`, { vary: 'Accept-Language' }),
    )
    const b = instance(storeB, () => cacheable('b'))
    await a.run(request('/vary', { 'accept-language': 'en' }))
    await a.run(request('/vary', { 'accept-language': 'fr' }))
    const fr = await b.run(request('/vary', { 'accept-language': 'fr' }))
    expect(String(fr.body)).toBe('lang fr')
    await b.mw.purgeUrl('/vary')
    const after = await a.run(request('/vary', { 'accept-language': 'fr' }))
    expect(after.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
  })

  it('answers a hit on a varying response in one round-trip, never from a variant set that was purged', async () => {
    let inFlight = 0
    let rounds = 0
    const counting: CacheStore = {
      name: storeA.name,
      get: async (key) => {
        // A round-trip starts when a read is sent while none is pending.
        if (inFlight++ === 0) rounds++
        try {
          return await storeA.get(key)
        } finally {
          inFlight--
        }
      },
      set: (key, entry, options) => storeA.set(key, entry, options),
      delete: (key) => storeA.delete(key),
      deleteByTag: (tag) => storeA.deleteByTag(tag),
      clear: () => storeA.clear(),
    }
    let version = 1
    const vary = (req: BriskRequest) =>
      cacheable(`v${version} ${String(req.headers['accept-language'])}`, { vary: 'Accept-Language' })
    const a = instance(counting, vary)
    const b = instance(storeB, vary)
    await a.run(request('/one-trip', { 'accept-language': 'en' }))
    rounds = 0
    const hit = await a.run(request('/one-trip', { 'accept-language': 'en' }))
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(rounds).toBe(1)

    // Another process purges the URL and stores a new variant set: the old variant is still in
    // Redis under the old set id, which A remembers; A must read the new one.
    await b.mw.purgeUrl('/one-trip')
    version = 2
    await b.run(request('/one-trip', { 'accept-language': 'en' }))
    const after = await a.run(request('/one-trip', { 'accept-language': 'en' }))
    expect(String(after.body)).toBe('v2 en')
    expect(a.counter.calls).toBe(1)
  })

  it('purges by tag from another process', async () => {
    const a = instance(storeA, () => cacheable('tagged', { 'cache-tag': 'post:7' }))
    await a.run(request('/tagged'))
    const b = instance(storeB, () => cacheable('b'))
    expect(await b.mw.purgeTag('post:7')).toBe(1)
    expect((await a.run(request('/tagged'))).headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
  })

  it('calls the app once for concurrent misses in two processes (store lock)', async () => {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    // Whichever process loses the race for the lock opens the gate: the winner's app answers
    // only once the other process is waiting for it.
    const losingOpensGate = (store: RedisStore): CacheStore => ({
      name: store.name,
      get: (key) => store.get(key),
      set: (key, entry, options) => store.set(key, entry, options),
      delete: (key) => store.delete(key),
      deleteByTag: (tag) => store.deleteByTag(tag),
      clear: () => store.clear(),
      lock: async (key, ttl) => {
        const held = await store.lock(key, ttl)
        if (held === undefined) release()
        return held
      },
    })
    const app = async () => {
      await gate
      return cacheable('once')
    }
    const a = instance(losingOpensGate(storeA), app)
    const b = instance(losingOpensGate(storeB), app)
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).run(request('/stampede'))),
    )
    expect(a.counter.calls + b.counter.calls).toBe(1)
    for (const res of responses) expect(String(res.body)).toBe('once')
  })

  it('does not call the app again when a peer stored the response between its lookup and its lock', async () => {
    // B's lookup misses; then A fetches, stores and releases the lock; only then does B go on.
    let missed: () => void = () => {}
    const bMissed = new Promise<void>((resolve) => (missed = resolve))
    let resume: () => void = () => {}
    const bResumes = new Promise<void>((resolve) => (resume = resolve))
    let lookups = 0
    const slowB: CacheStore = {
      name: storeB.name,
      get: async (key) => {
        const entry = await storeB.get(key)
        if (++lookups === 1) {
          missed()
          await bResumes
        }
        return entry
      },
      set: (key, entry, options) => storeB.set(key, entry, options),
      delete: (key) => storeB.delete(key),
      deleteByTag: (tag) => storeB.deleteByTag(tag),
      clear: () => storeB.clear(),
      lock: (key, ttl) => storeB.lock(key, ttl),
    }
    const a = instance(storeA, () => cacheable('from A'))
    const b = instance(slowB, () => cacheable('from B'))
    const late = b.run(request('/late'))
    await bMissed
    await a.run(request('/late'))
    // A releases its lock once its answer is stored; wait for that, however long it takes.
    while ((await clients[0]?.exists(`${prefix}l:lock:GET /late`)) === 1) await new Promise(setImmediate)
    resume()
    const res = await late
    expect(String(res.body)).toBe('from A')
    expect(res.headers['cache-status']).toBe('brisk; fwd=uri-miss; collapsed')
    expect(b.counter.calls).toBe(0)
  })

  it('stops waiting for a peer as soon as the peer let go of the lock without storing anything', async () => {
    // A coalesce timeout far above the test timeout: waiting for it would fail the test.
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    let calls = 0
    const app = async (): Promise<BriskResponse> => {
      calls++
      await gate
      return cacheable(`visit ${calls}`, { 'set-cookie': 'visit=1' })
    }
    let lockRefused: () => void = () => {}
    const bWaits = new Promise<void>((resolve) => (lockRefused = resolve))
    const refusing: CacheStore = {
      name: storeB.name,
      get: (key) => storeB.get(key),
      set: (key, entry, options) => storeB.set(key, entry, options),
      delete: (key) => storeB.delete(key),
      deleteByTag: (tag) => storeB.deleteByTag(tag),
      clear: () => storeB.clear(),
      lock: async (key, ttl) => {
        const held = await storeB.lock(key, ttl)
        if (held === undefined) lockRefused()
        return held
      },
    }
    const a = cache({ store: storeA, logger: false, coalesce: '10m' })
    const b = cache({ store: refusing, logger: false, coalesce: '10m' })
    const fromA = a(request('/not-storable'), app)
    while (calls === 0) await new Promise(setImmediate)
    const fromB = b(request('/not-storable'), app)
    await bWaits
    release()
    expect(String((await fromA).body)).toBe('visit 1')
    expect(String((await fromB).body)).toBe('visit 2')
  })

  it('makes a process wait for the response a peer is refetching, not serve the stale one it has', async () => {
    const clock = { now: () => now }
    let now = Date.now()
    let version = 1
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    let lockTaken: () => void = () => {}
    const aHoldsLock = new Promise<void>((resolve) => (lockTaken = resolve))
    const app = async (): Promise<BriskResponse> => {
      if (version > 1) await gate
      return cacheable(`v${version}`, { 'cache-control': 'max-age=10' })
    }
    const tracked = (store: RedisStore, onGet: () => void, onLock: () => void): CacheStore => ({
      name: store.name,
      get: async (key) => {
        const entry = await store.get(key)
        onGet()
        return entry
      },
      set: (key, entry, options) => store.set(key, entry, options),
      delete: (key) => store.delete(key),
      deleteByTag: (tag) => store.deleteByTag(tag),
      clear: () => store.clear(),
      lock: async (key, ttl) => {
        const held = await store.lock(key, ttl)
        if (held !== undefined) onLock()
        return held
      },
    })
    let bGets = 0
    // A's first request takes the lock too: only the refetch's lock says A is fetching v2.
    const a = cache({
      store: tracked(
        storeA,
        () => {},
        () => void (version > 1 && lockTaken()),
      ),
      logger: false,
      clock,
    })
    // B's second read is its first look for A's answer: open A's app gate then, whatever B saw.
    const b = cache({
      store: tracked(
        storeB,
        () => void (++bGets === 2 && release()),
        () => {},
      ),
      logger: false,
      clock,
    })
    await a(request('/refetch'), app)
    now += 11_000
    version = 2
    const fromA = a(request('/refetch'), app)
    await aHoldsLock
    const fromB = await b(request('/refetch'), app)
    expect(String(fromB.body)).toBe('v2')
    expect(fromB.headers['cache-status']).toBe('brisk; fwd=stale; collapsed')
    expect(String((await fromA).body)).toBe('v2')
  })
})

describe.runIf(runRedis)('cache() on tieredStore (memory over Redis)', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  const clients: Redis[] = []
  const stores: TieredStore[] = []

  async function tiered(): Promise<TieredStore> {
    const client = new Redis(REDIS_URL)
    clients.push(client)
    const store = tieredStore({
      l1: memoryStore({ maxSize: '1 MB' }),
      l2: redisStore({ client, prefix, timeout: '2s', logger: false }),
      logger: false,
    })
    stores.push(store)
    await store.ready()
    return store
  }

  afterAll(async () => {
    await stores[0]?.clear()
    for (const store of stores) await store.close?.()
    for (const client of clients) await client.quit()
  })

  it('answers a hit stored by another instance, and a tag purge reaches both', async () => {
    const a = instance(await tiered(), () => cacheable('tiered', { 'surrogate-key': 'list' }))
    const b = instance(await tiered(), () => cacheable('b'))
    await a.run(request('/t'))
    expect(String((await b.run(request('/t'))).body)).toBe('tiered')
    expect((await a.run(request('/t'))).headers['cache-status']).toMatch(/^brisk; hit/)
    await b.mw.purgeTag('list')
    // The purge reaches A's L1 by pub/sub: wait until A no longer finds the entry.
    for (let i = 0; i < 200; i++) {
      if ((await a.mw.store.get('GET /t')) === undefined) break
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
    expect((await a.run(request('/t'))).headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
  })
})

describe.runIf(runRedis)('cache() when Redis goes down', () => {
  let server: RedisProcess
  let client: Redis

  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false })
    client.on('error', () => {})
    if (client.status !== 'ready') await new Promise((resolve) => client.once('ready', resolve))
  })

  afterAll(async () => {
    client.disconnect()
    await server.stop()
  })

  it('answers every request from the app, marked as a bypass, while the store is down', async () => {
    const store = redisStore({ client, prefix: 'down:', timeout: '200ms', logger: false })
    const t = instance(store, () => cacheable('from app'))
    await t.run(request('/x'))
    expect((await t.run(request('/x'))).headers['cache-status']).toMatch(/^brisk; hit/)
    await server.stop()
    for (let i = 0; i < 3; i++) {
      const res = await t.run(request('/x'))
      expect(res.status).toBe(200)
      expect(String(res.body)).toBe('from app')
      expect(res.headers['cache-status']).toBe('brisk; fwd=bypass; detail=store-unavailable')
    }
    expect(t.metrics.get('cache.bypass')).toBe(3)
  })
})
