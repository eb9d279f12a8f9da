import { randomBytes } from 'node:crypto'
import { BackendUnavailableError, BriskOptionError } from '@brisk/core'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import {
  REDIS_URL,
  sharedRedisAvailable,
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisProcess,
} from '../../../../test/support/redis-server.js'
import { memoryStore } from './memory-store.js'
import { redisStore, type RedisStore } from './redis-store.js'
import { tieredStore, type InvalidationEvent, type TieredStore } from './tiered-store.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

const entry = (text: string) => ({ meta: { text }, body: Buffer.from(text) })

/** Resolves with the first invalidation event on `store` that matches. */
function nextInvalidation(
  store: TieredStore,
  match: (e: InvalidationEvent) => boolean,
): Promise<InvalidationEvent> {
  return new Promise((resolve) => {
    const off = store.onInvalidation((event) => {
      if (!match(event)) return
      off()
      resolve(event)
    })
  })
}

/** Writes through `writer` and waits until `reader` has dropped its L1 copy of the key, so later reads do not race the message. */
async function setSeenBy(
  writer: TieredStore,
  reader: TieredStore,
  key: string,
  value: ReturnType<typeof entry>,
  options: { ttl: number; tags?: string[] },
): Promise<void> {
  const seen = nextInvalidation(reader, (e) => e.kind === 'delete' && e.key === key)
  await writer.set(key, value, options)
  await seen
}

function fakeClock() {
  let now = 1_000
  return { now: () => now, advance: (ms: number) => void (now += ms) }
}

describe.runIf(runRedis)('tieredStore across two instances', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  const clients: Redis[] = []
  const stores: TieredStore[] = []
  let raw: Redis
  let l2: RedisStore

  /** One instance of the fleet: its own Redis client, L1 and subscriber. */
  async function instance(
    options: { clock?: ReturnType<typeof fakeClock>; l2?: (s: RedisStore) => RedisStore } = {},
  ) {
    const client = new Redis(REDIS_URL)
    clients.push(client)
    const remote = redisStore({ client, prefix, timeout: '2s', logger: false })
    const store = tieredStore({
      l1: memoryStore({ maxSize: '1 MB', clock: options.clock }),
      l2: options.l2 ? options.l2(remote) : remote,
      logger: false,
    })
    stores.push(store)
    await store.ready()
    return store
  }

  beforeAll(() => {
    raw = new Redis(REDIS_URL)
    l2 = redisStore({ client: raw, prefix, timeout: '2s', logger: false })
  })

  afterAll(async () => {
    for (const store of stores) await store.close?.()
    await l2.clear()
    for (const client of [...clients, raw]) await client.quit()
  })

  it('answers a hit from L1 without asking Redis', async () => {
    const a = await instance()
    await a.set('l1-hit', entry('v1'), { ttl: 60_000 })
    await raw.del(`${prefix}e:l1-hit`)
    expect((await a.get('l1-hit'))?.body.toString()).toBe('v1')
  })

  it('peeks at L1 only: an entry only Redis holds is left to get', async () => {
    const a = await instance()
    await a.set('peek-l1', entry('local'), { ttl: 60_000 })
    await l2.set('peek-l2', entry('remote'), { ttl: 60_000 })
    expect(a.peek?.('peek-l1')?.body.toString()).toBe('local')
    expect(a.peek?.('peek-l2')).toBeUndefined()
    expect((await a.get('peek-l2'))?.body.toString()).toBe('remote')
    expect(a.peek?.('peek-l2')?.body.toString()).toBe('remote')
  })

  it('fills L1 from L2 on a miss, for the remaining TTL only', async () => {
    const clock = fakeClock()
    const b = await instance({ clock })
    await l2.set('fill', entry('from-l2'), { ttl: 1_000, tags: ['fill-tag'] })
    expect((await b.get('fill'))?.body.toString()).toBe('from-l2')
    await raw.del(`${prefix}e:fill`)
    expect((await b.l1.get('fill'))?.body.toString()).toBe('from-l2')
    clock.advance(1_001)
    expect(await b.l1.get('fill')).toBeUndefined()
  })

  it('keeps an L1 copy that holds only its own bytes, not the buffer Redis read it into', async () => {
    const b = await instance()
    await l2.set('own-bytes', entry('payload'), { ttl: 60_000 })
    const served = await b.get('own-bytes')
    const kept = await b.l1.get('own-bytes')
    expect(kept?.body.toString()).toBe('payload')
    expect(kept?.body.buffer.byteLength).toBe(kept?.body.byteLength)
    expect(served).toBe(kept)
  })

  it('keeps an L1 copy no longer than l1MaxTtl', async () => {
    const clock = fakeClock()
    const client = new Redis(REDIS_URL)
    clients.push(client)
    const b = tieredStore({
      l1: memoryStore({ clock }),
      l2: redisStore({ client, prefix, timeout: '2s', logger: false }),
      l1MaxTtl: '1s',
      logger: false,
    })
    stores.push(b)
    await b.ready()
    await l2.set('capped', entry('x'), { ttl: 60_000 })
    await b.get('capped')
    clock.advance(999)
    expect(await b.l1.get('capped')).toBeDefined()
    clock.advance(2)
    expect(await b.l1.get('capped')).toBeUndefined()
  })

  it('indexes an L1 copy filled from L2 under the entry tags', async () => {
    const b = await instance()
    await l2.set('fill-tags', entry('x'), { ttl: 60_000, tags: ['fill-t'] })
    await b.get('fill-tags')
    expect(await b.l1.deleteByTag('fill-t')).toBe(1)
  })

  it("delivers a purge by tag on instance A to instance B's L1", async () => {
    const a = await instance()
    const b = await instance()
    await setSeenBy(a, b, 'post:1', entry('old'), { ttl: 60_000, tags: ['post:1'] })
    expect((await b.get('post:1'))?.body.toString()).toBe('old')
    expect(await b.l1.get('post:1')).toBeDefined()

    const seen = nextInvalidation(b, (e) => e.kind === 'tag')
    expect(await a.deleteByTag('post:1')).toBe(1)
    expect(await seen).toEqual({ kind: 'tag', tag: 'post:1' })
    expect(await b.l1.get('post:1')).toBeUndefined()
    expect(await b.get('post:1')).toBeUndefined()
  })

  it('resolves a purge only once its invalidation has gone round the channel', async () => {
    const a = await instance()
    const b = await instance()
    for (const round of [1, 2, 3]) {
      const key = `echo:${round}`
      await setSeenBy(a, b, key, entry('old'), { ttl: 60_000, tags: [`echo:${round}`] })
      expect(await b.get(key)).toBeDefined()
      let applied = false
      const seen = nextInvalidation(b, (e) => e.kind !== 'delete' || e.key === key)
      void seen.then(() => (applied = true))
      if (round === 1) await a.deleteByTag(`echo:${round}`)
      else if (round === 2) await a.delete(key)
      else await a.clear()
      // Redis handed the message to B's subscriber when it handed A's back: one turn of the
      // event loop reads it (no waiting on a timer).
      await new Promise(setImmediate)
      expect(applied).toBe(true)
      expect(await b.l1.get(key)).toBeUndefined()
    }
  })

  it('does not process its own invalidations a second time', async () => {
    const a = await instance()
    const b = await instance()
    const onA: InvalidationEvent[] = []
    a.onInvalidation((e) => onA.push(e))
    await a.deleteByTag('mine')
    // Pub/sub keeps order per connection: once B's later message reached A, A's own had too.
    const marker = nextInvalidation(a, (e) => e.kind === 'delete')
    await b.delete('marker')
    await marker
    expect(onA).toEqual([{ kind: 'delete', key: 'marker' }])
  })

  it("delivers a delete of one key and a clear to the other instance's L1", async () => {
    const a = await instance()
    const b = await instance()
    await setSeenBy(a, b, 'k1', entry('1'), { ttl: 60_000 })
    await setSeenBy(a, b, 'k2', entry('2'), { ttl: 60_000 })
    await b.get('k1')
    await b.get('k2')

    const deleted = nextInvalidation(b, (e) => e.kind === 'delete' && e.key === 'k1')
    await a.delete('k1')
    await deleted
    expect(await b.l1.get('k1')).toBeUndefined()
    expect(await b.l1.get('k2')).toBeDefined()

    const cleared = nextInvalidation(b, (e) => e.kind === 'clear')
    await a.clear()
    await cleared
    expect(await b.l1.get('k2')).toBeUndefined()
  })

  it("drops the other instance's L1 copy when a key is written again", async () => {
    const a = await instance()
    const b = await instance()
    await setSeenBy(a, b, 'rewritten', entry('v1'), { ttl: 60_000 })
    await b.get('rewritten')
    expect(await b.l1.get('rewritten')).toBeDefined()
    const dropped = nextInvalidation(b, (e) => e.kind === 'delete' && e.key === 'rewritten')
    await a.set('rewritten', entry('v2'), { ttl: 60_000 })
    await dropped
    expect((await b.get('rewritten'))?.body.toString()).toBe('v2')
  })

  /** An L2 whose reads complete, then wait for `release()`: an invalidation can land between a read and its L1 fill. */
  function gatedL2() {
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => (release = resolve))
    let readDone: () => void = () => {}
    const read = new Promise<void>((resolve) => (readDone = resolve))
    const wrap = (remote: RedisStore): RedisStore => ({
      ...remote,
      get: async (key: string) => {
        const found = await remote.get(key)
        readDone()
        await gate
        return found
      },
    })
    return { wrap, read, release }
  }

  it('does not fill L1 with a value read from L2 while a delete of that key arrived', async () => {
    const { wrap, read, release } = gatedL2()
    const b = await instance({ l2: wrap })
    const a = await instance()
    await setSeenBy(a, b, 'racy-key', entry('old'), { ttl: 60_000 })
    const pending = b.get('racy-key')
    await read
    const deleted = nextInvalidation(b, (e) => e.kind === 'delete' && e.key === 'racy-key')
    await a.delete('racy-key')
    await deleted
    release()
    expect((await pending)?.body.toString()).toBe('old')
    expect(await b.l1.get('racy-key')).toBeUndefined()
  })

  it('still fills L1 when a different key is invalidated during the read', async () => {
    const { wrap, read, release } = gatedL2()
    const b = await instance({ l2: wrap })
    const a = await instance()
    await setSeenBy(a, b, 'calm', entry('kept'), { ttl: 60_000 })
    const pending = b.get('calm')
    await read
    await setSeenBy(a, b, 'unrelated', entry('x'), { ttl: 60_000 })
    release()
    expect((await pending)?.body.toString()).toBe('kept')
    expect((await b.l1.get('calm'))?.body.toString()).toBe('kept')
  })

  it('does not fill L1 with a value read from L2 while a purge of it arrived', async () => {
    const { wrap, read, release } = gatedL2()
    const b = await instance({ l2: wrap })
    const a = await instance()
    await setSeenBy(a, b, 'racy', entry('old'), { ttl: 60_000, tags: ['racy'] })
    const pending = b.get('racy')
    await read
    const purged = nextInvalidation(b, (e) => e.kind === 'tag')
    await a.deleteByTag('racy')
    await purged
    release()
    expect((await pending)?.body.toString()).toBe('old')
    expect(await b.l1.get('racy')).toBeUndefined()
  })
})

describe.runIf(runRedis)('tieredStore when Redis goes down', () => {
  let server: RedisProcess
  let client: Redis
  let store: TieredStore

  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1, retryStrategy: () => 50 })
    client.on('error', () => {})
    store = tieredStore({
      l1: memoryStore(),
      l2: redisStore({ client, prefix: 'tiered-down:', timeout: 200, resetTimeout: 20, logger: false }),
      logger: false,
    })
    await store.ready()
  })

  afterAll(async () => {
    await store.close?.()
    client.disconnect()
    await server.stop()
  })

  it('serves from L1, reports L2 failures as BackendUnavailableError, and empties L1 once resubscribed', async () => {
    await store.set('kept', entry('local'), { ttl: 60_000, tags: ['t'] })
    await server.stop()

    expect((await store.get('kept'))?.body.toString()).toBe('local')
    await expect(store.get('absent')).rejects.toBeInstanceOf(BackendUnavailableError)
    await expect(store.deleteByTag('t')).rejects.toBeInstanceOf(BackendUnavailableError)
    // The purge still reached this instance's own L1.
    expect(await store.l1.get('kept')).toBeUndefined()
    await store.l1.set('stale', entry('maybe purged elsewhere'), { ttl: 60_000 })

    const resynced = nextInvalidation(store, (e) => e.kind === 'resync')
    await server.restart()
    await resynced
    expect(await store.l1.get('stale')).toBeUndefined()

    await store.set('after', entry('back'), { ttl: 60_000 })
    expect((await store.get('after'))?.body.toString()).toBe('back')
  })
})

describe.runIf(runRedis)('tieredStore on Redis Cluster', () => {
  let cluster: RedisCluster
  const clients: Cluster[] = []
  const stores: TieredStore[] = []

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
  })

  afterAll(async () => {
    for (const store of stores) await store.close?.()
    for (const client of clients) await client.quit()
    await cluster?.stop()
  })

  async function instance(): Promise<TieredStore> {
    const client = new Cluster(cluster.startupNodes)
    clients.push(client)
    const store = tieredStore({
      l1: memoryStore(),
      l2: redisStore({ client, prefix: 'tiered-cluster:', timeout: '2s', logger: false }),
      logger: false,
    })
    stores.push(store)
    await store.ready()
    return store
  }

  it("delivers a purge by tag across slots to the other instance's L1", async () => {
    const a = await instance()
    const b = await instance()
    const keys = Array.from({ length: 20 }, (_, i) => `/posts/${i}`)
    for (const key of keys) await setSeenBy(a, b, key, entry(key), { ttl: 60_000, tags: ['posts'] })
    for (const key of keys) await b.get(key)
    for (const key of keys) expect(await b.l1.get(key)).toBeDefined()

    const seen = nextInvalidation(b, (e) => e.kind === 'tag')
    expect(await a.deleteByTag('posts')).toBe(20)
    await seen
    for (const key of keys) {
      expect(await b.l1.get(key)).toBeUndefined()
      expect(await b.get(key)).toBeUndefined()
    }
  })
})

describe('tieredStore options', () => {
  const client = new Redis({ lazyConnect: true })
  const l2 = redisStore({ client, logger: false })

  it.each<[string, () => unknown, RegExp]>([
    ['a missing l1', () => tieredStore({ l2 } as never), /l1/],
    [
      'an l2 that is not a redisStore',
      () => tieredStore({ l1: memoryStore(), l2: memoryStore() as never }),
      /l2/,
    ],
    ['a zero l1MaxTtl', () => tieredStore({ l1: memoryStore(), l2, l1MaxTtl: 0 }), /l1MaxTtl/],
    ['an empty channel', () => tieredStore({ l1: memoryStore(), l2, channel: '' }), /channel/],
  ])('refuses %s at creation', (_what, create, message) => {
    expect(create).toThrow(BriskOptionError)
    expect(create).toThrow(message)
  })
})
