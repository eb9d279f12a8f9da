import { randomBytes } from 'node:crypto'
import { BackendUnavailableError, BriskMetrics, BriskOptionError } from '@brisk/core'
import calculateSlot from 'cluster-key-slot'
import { Cluster, Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import {
  REDIS_URL,
  redisCommand,
  sharedRedisAvailable,
  startRedisCluster,
  startRedisServer,
  type RedisCluster,
  type RedisProcess,
} from '../../../../test/support/redis-server.js'
import { ioredisPrintsWhileDown } from '../../../../test/support/ioredis-printed.js'
import { startLatencyProxy } from '../../../../test/chaos/latency-proxy.js'
import { startRedisSentinel, type RedisSentinel } from '../../../../test/stores/redis-sentinel.js'
import { redisStore, type RedisStore } from './redis-store.js'
import { expectLoneSurrogateKeysApart } from '../../../../test/support/lone-surrogate-keys.js'

// Redis tests run whenever a server answers, and always on CI (where a missing server fails them).
const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

const allBytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i))
const body = (text: string) => Buffer.from(text)

/** `count` names whose `base + name` all share one slot while `keyPrefix + base + name` do not. */
function keysSharingSlotOnlyWithout(keyPrefix: string, base: string, count: number): string[] {
  const bySlot = new Map<number, string[]>()
  for (let i = 0; ; i++) {
    const name = `k${i}`
    const slot = calculateSlot(base + name)
    const group = bySlot.get(slot) ?? []
    group.push(name)
    bySlot.set(slot, group)
    if (group.length === count) {
      const prefixedSlots = new Set(group.map((n) => calculateSlot(keyPrefix + base + n)))
      if (prefixedSlots.size > 1) return group
    }
  }
}

async function until(check: () => Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  throw new Error(`timed out waiting for ${what}`)
}

describe.runIf(runRedis)('redisStore on a single node', () => {
  const prefix = `brisk-test:${randomBytes(6).toString('hex')}:`
  let client: Redis
  let store: RedisStore

  beforeAll(() => {
    client = new Redis(REDIS_URL)
    // A shared machine may be slow; the guard's timeout has its own test on a private server.
    store = redisStore({ client, prefix, timeout: '2s', logger: false })
  })

  afterAll(async () => {
    await store.clear()
    await client.quit()
  })

  it.each<[string, Buffer]>([
    ['all 256 byte values', allBytes],
    ['an empty body', Buffer.alloc(0)],
    ['a 1 MB body', randomBytes(1024 * 1024)],
  ])('round-trips %s unchanged', async (what, bytes) => {
    await store.set(`binary:${what}`, { meta: {}, body: bytes }, { ttl: 60_000 })
    const entry = await store.get(`binary:${what}`)
    expect(entry?.body.equals(bytes)).toBe(true)
  })

  it('keeps keys and tags apart that differ only in lone surrogates, which UTF-8 would merge', () =>
    expectLoneSurrogateKeysApart(store))

  it('round-trips metadata', async () => {
    const meta = { status: 201, headers: { 'set-cookie': ['a=1', 'b=2'], 'x-name': 'résumé' }, storedAt: 1.5 }
    await store.set('meta', { meta, body: body('x') }, { ttl: 60_000 })
    expect((await store.get('meta'))?.meta).toEqual(meta)
  })

  it('reports the tags an entry was stored with', async () => {
    await store.set('tagged', { meta: {}, body: body('x') }, { ttl: 60_000, tags: ['a', 'b'] })
    expect((await store.get('tagged'))?.tags).toEqual(['a', 'b'])
  })

  it('reports when the entry expires', async () => {
    const before = Date.now()
    await store.set('expires', { meta: {}, body: body('x') }, { ttl: 60_000 })
    const expiresAt = (await store.get('expires'))?.expiresAt ?? 0
    expect(expiresAt).toBeGreaterThanOrEqual(before + 60_000)
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 60_000)
  })

  it('stores one Redis string per entry under the prefix, with the TTL as PX', async () => {
    await store.set('layout', { meta: {}, body: body('x') }, { ttl: 60_000 })
    expect(await client.type(`${prefix}e:layout`)).toBe('string')
    const pttl = await client.pttl(`${prefix}e:layout`)
    expect(pttl).toBeGreaterThan(50_000)
    expect(pttl).toBeLessThanOrEqual(60_000)
  })

  it('answers a miss for an absent key', async () => {
    expect(await store.get('absent')).toBeUndefined()
  })

  it('treats a value it did not write as a miss', async () => {
    await client.set(`${prefix}e:foreign`, 'not a frame')
    expect(await store.get('foreign')).toBeUndefined()
  })

  it('lets Redis drop an entry when its TTL has passed', async () => {
    await store.set('short', { meta: {}, body: body('x') }, { ttl: 5 })
    await until(async () => (await store.get('short')) === undefined, 'the entry to expire')
    expect(await client.exists(`${prefix}e:short`)).toBe(0)
  })

  it('deletes one key', async () => {
    await store.set('gone', { meta: {}, body: body('x') }, { ttl: 60_000 })
    await store.delete('gone')
    expect(await store.get('gone')).toBeUndefined()
  })

  it('removes every entry with a tag, and only those', async () => {
    await store.set('t:a', { meta: {}, body: body('a') }, { ttl: 60_000, tags: ['post:1', 'list'] })
    await store.set('t:b', { meta: {}, body: body('b') }, { ttl: 60_000, tags: ['post:2', 'list'] })
    await store.set('t:c', { meta: {}, body: body('c') }, { ttl: 60_000, tags: ['post:1'] })
    expect(await store.deleteByTag('post:1')).toBe(2)
    expect(await store.get('t:a')).toBeUndefined()
    expect(await store.get('t:c')).toBeUndefined()
    expect(await store.get('t:b')).toBeDefined()
    expect(await client.exists(`${prefix}t:post:1`)).toBe(0)
  })

  it('removes the entry again when it cannot be indexed under its tags', async () => {
    // A string where the tag set should be makes SADD fail with WRONGTYPE.
    await client.set(`${prefix}t:broken`, 'not a set')
    await expect(
      store.set('unindexed', { meta: {}, body: body('x') }, { ttl: 60_000, tags: ['broken'] }),
    ).rejects.toBeInstanceOf(BackendUnavailableError)
    expect(await client.exists(`${prefix}e:unindexed`)).toBe(0)
  })

  it('purges a tag carried by more entries than one purge batch', async () => {
    const keys = Array.from({ length: 1_200 }, (_, i) => `many:${i}`)
    await Promise.all(
      keys.map((k) => store.set(k, { meta: {}, body: body(k) }, { ttl: 60_000, tags: ['many'] })),
    )
    expect(await store.deleteByTag('many')).toBe(1_200)
    expect(await client.exists(...keys.map((k) => `${prefix}e:${k}`))).toBe(0)
  })

  it('keeps a tag set alive at least as long as its longest-lived entry', async () => {
    await store.set('life:long', { meta: {}, body: body('x') }, { ttl: 120_000, tags: ['life'] })
    await store.set('life:short', { meta: {}, body: body('x') }, { ttl: 1_000, tags: ['life'] })
    const pttl = await client.pttl(`${prefix}t:life`)
    expect(pttl).toBeGreaterThan(100_000)
    expect(pttl).toBeLessThanOrEqual(120_000)
  })

  it('removes only its own keys on clear', async () => {
    const neighbour = `${prefix.slice(0, -1)}-neighbour:k`
    await client.set(neighbour, 'keep', 'PX', 60_000)
    try {
      await store.set('c1', { meta: {}, body: body('x') }, { ttl: 60_000, tags: ['c'] })
      await store.set('c2', { meta: {}, body: body('x') }, { ttl: 60_000 })
      await store.clear()
      expect(await store.get('c1')).toBeUndefined()
      expect(await store.get('c2')).toBeUndefined()
      expect(await client.exists(`${prefix}t:c`)).toBe(0)
      expect(await client.get(neighbour)).toBe('keep')
    } finally {
      await client.del(neighbour)
    }
  })

  it('gives a contended lock to exactly one of many concurrent callers', async () => {
    const attempts = await Promise.all(Array.from({ length: 20 }, () => store.lock('contended', 10_000)))
    const winners = attempts.filter((release) => release !== undefined)
    expect(winners).toHaveLength(1)
    await winners[0]!()
  })

  it('gives a lock to one holder at a time', async () => {
    const release = await store.lock('render:/', 10_000)
    expect(release).toBeTypeOf('function')
    expect(await store.lock('render:/', 10_000)).toBeUndefined()
    await release!()
    await release!()
    const again = await store.lock('render:/', 10_000)
    expect(again).toBeTypeOf('function')
    await again!()
  })

  it('never releases a lock that expired and was taken by someone else', async () => {
    const stale = await store.lock('expiring', 5)
    await until(async () => (await client.exists(`${prefix}l:expiring`)) === 0, 'the lock to expire')
    const current = await store.lock('expiring', 10_000)
    expect(current).toBeTypeOf('function')
    await stale!()
    expect(await store.lock('expiring', 10_000)).toBeUndefined()
    await current!()
  })

  it("works under a client's own keyPrefix, clear included", async () => {
    const prefixed = new Redis(REDIS_URL, { keyPrefix: `${prefix}app:` })
    try {
      const inner = redisStore({ client: prefixed, prefix: 'cache:', timeout: '2s', logger: false })
      await inner.set('k', { meta: {}, body: body('x') }, { ttl: 60_000, tags: ['t'] })
      await inner.set('k2', { meta: {}, body: body('y') }, { ttl: 60_000 })
      expect(await client.exists(`${prefix}app:cache:e:k`)).toBe(1)
      expect(await inner.deleteByTag('t')).toBe(1)
      await inner.clear()
      expect(await client.keys(`${prefix}app:*`)).toEqual([])
    } finally {
      await prefixed.quit()
    }
  })

  it('leaves the client open on close', async () => {
    const other = redisStore({ client, prefix })
    await other.close?.()
    expect(await client.ping()).toBe('PONG')
  })
})

describe('redisStore and the client it is given', () => {
  it('keeps ioredis from printing every failed reconnect of a client nobody listens to', async () => {
    // `redisStore({ client: new Redis(url) })` with Redis down: the guard logs the outage
    // once, and ioredis must not add a stack to stderr per reconnect attempt.
    expect(await ioredisPrintsWhileDown((client) => redisStore({ client, logger: false }))).toEqual([])
  })
})

describe.runIf(runRedis)('redisStore when Redis fails', () => {
  let server: RedisProcess
  let client: Redis

  beforeAll(async () => {
    server = await startRedisServer()
    client = new Redis(server.url, { maxRetriesPerRequest: 1 })
    // Connection errors while the server is stopped are expected; the store reports them as rejections.
    client.on('error', () => {})
  })

  afterAll(async () => {
    client.disconnect()
    await server.stop()
  })

  it('lets the first commands wait for a connection still being set up, not time out', async () => {
    // A connection whose set-up (the ready check) is slower than the command timeout, as a
    // Cluster client's slot discovery is on a busy machine; replies are fast once it is ready.
    const proxy = await startLatencyProxy(server.port)
    proxy.delayMs = 150
    const slow = new Redis(proxy.port, '127.0.0.1')
    slow.on('error', () => {})
    slow.once('ready', () => (proxy.delayMs = 0))
    try {
      const store = redisStore({ client: slow, prefix: 'first:', timeout: 50, logger: false })
      expect(slow.status).not.toBe('ready')
      await store.set('k', { meta: {}, body: body('first') }, { ttl: 60_000 })
      expect((await store.get('k'))?.body.toString()).toBe('first')
      expect(store.guard.state).toBe('closed')
    } finally {
      slow.disconnect()
      await proxy.close()
    }
  })

  it('turns a slow command into BackendUnavailableError after the timeout', async () => {
    const store = redisStore({ client, prefix: 'slow:', timeout: 50, logger: false })
    await store.set('k', { meta: {}, body: body('x') }, { ttl: 60_000 })
    expect(await redisCommand(server.port, 'CLIENT PAUSE 300 ALL')).toMatch(/^\+OK/)
    const error = await store.get('k').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(BackendUnavailableError)
    expect((error as BackendUnavailableError).reason).toBe('timeout')
    expect(await redisCommand(server.port, 'CLIENT UNPAUSE')).toMatch(/^\+OK/)
  })

  it('keeps a tag purge that timed out retryable: the entries it named are gone or still indexed', async () => {
    const store = redisStore({
      client,
      prefix: 'purge-paused:',
      timeout: 50,
      resetTimeout: 20,
      logger: false,
    })
    await store.set('page', { meta: {}, body: body('v1') }, { ttl: 60_000, tags: ['post:1'] })
    await store.set('data', { meta: {}, body: body('v1') }, { ttl: 60_000, tags: ['post:1'] })
    expect(await redisCommand(server.port, 'CLIENT PAUSE 300 ALL')).toMatch(/^\+OK/)
    await expect(store.deleteByTag('post:1')).rejects.toBeInstanceOf(BackendUnavailableError)
    // The command that timed out runs once the pause ends; a PING behind it answers after it.
    await client.ping()
    await vi.waitFor(() => expect(store.guard.available).toBe(true))
    await store.deleteByTag('post:1') // the admin's retry
    expect(await store.get('page')).toBeUndefined()
    expect(await store.get('data')).toBeUndefined()
  })

  it('rejects with BackendUnavailableError while the server is down and serves again after it restarts', async () => {
    const metrics = new BriskMetrics()
    const store = redisStore({
      client,
      prefix: 'down:',
      timeout: 200,
      resetTimeout: 20,
      logger: false,
      metrics,
    })
    await store.set('k', { meta: {}, body: body('before') }, { ttl: 60_000 })
    await server.stop()
    for (const operation of [
      () => store.get('k'),
      () => store.set('k2', { meta: {}, body: body('x') }, { ttl: 1000, tags: ['t'] }),
      () => store.deleteByTag('t'),
      () => store.lock('l', 1000),
    ]) {
      await expect(operation()).rejects.toBeInstanceOf(BackendUnavailableError)
    }
    expect(metrics.get('backend.error')).toBeGreaterThanOrEqual(4)
    expect(metrics.get('backend.incident')).toBe(1)
    await server.restart()
    // The restarted server is empty (no persistence): a miss, not an error, once reconnected.
    await until(
      async () =>
        await store.get('k').then(
          () => true,
          () => false,
        ),
      'the store to recover',
    )
    await store.set('k', { meta: {}, body: body('after') }, { ttl: 60_000 })
    expect((await store.get('k'))?.body.toString()).toBe('after')
  })
})

describe.runIf(runRedis)('redisStore on Redis Cluster', () => {
  let cluster: RedisCluster
  let client: Cluster
  let store: RedisStore

  beforeAll(async () => {
    cluster = await startRedisCluster(3)
    client = new Cluster(cluster.startupNodes)
    store = redisStore({ client, prefix: 'brisk-cluster:', timeout: '2s', logger: false })
  })

  afterAll(async () => {
    await client?.quit()
    await cluster?.stop()
  })

  it('round-trips binary bodies', async () => {
    await store.set('bytes', { meta: { a: 1 }, body: allBytes }, { ttl: 60_000 })
    const entry = await store.get('bytes')
    expect(entry?.body.equals(allBytes)).toBe(true)
    expect(entry?.meta).toEqual({ a: 1 })
  })

  it('purges a tag whose entries live in different slots on different masters', async () => {
    const keys = Array.from({ length: 60 }, (_, i) => `page:${i}`)
    const owners = new Set(
      await Promise.all(
        keys.map(async (k) => (await client.cluster('KEYSLOT', `brisk-cluster:e:${k}`)) as number),
      ),
    )
    expect(owners.size).toBeGreaterThan(10)
    await Promise.all(
      keys.map((k) => store.set(k, { meta: {}, body: body(k) }, { ttl: 60_000, tags: ['pages'] })),
    )
    await store.set('other', { meta: {}, body: body('o') }, { ttl: 60_000, tags: ['else'] })
    expect(await store.deleteByTag('pages')).toBe(60)
    for (const k of keys) expect(await store.get(k)).toBeUndefined()
    expect(await store.get('other')).toBeDefined()
  })

  it('clears its keys on every master', async () => {
    const keys = Array.from({ length: 30 }, (_, i) => `clear:${i}`)
    await Promise.all(
      keys.map((k) => store.set(k, { meta: {}, body: body(k) }, { ttl: 60_000, tags: [`t${k}`] })),
    )
    await client.set('not-brisk', 'keep')
    await store.clear()
    for (const k of keys) expect(await store.get(k)).toBeUndefined()
    expect(await client.get('not-brisk')).toBe('keep')
    for (const node of client.nodes('master')) expect(await node.keys('brisk-cluster:*')).toEqual([])
  })

  it("groups purges by the slot of the key ioredis sends, under the client's keyPrefix", async () => {
    const prefixed = new Cluster(cluster.startupNodes, { keyPrefix: 'app:' })
    try {
      const inner = redisStore({ client: prefixed, prefix: 'p:', timeout: '2s', logger: false })
      // Keys that share a slot without the keyPrefix but not with it: grouped by the wrong
      // key, one UNLINK would span slots (CROSSSLOT).
      const keys = keysSharingSlotOnlyWithout('app:', 'p:e:', 20)
      await Promise.all(
        keys.map((k) => inner.set(k, { meta: {}, body: body(k) }, { ttl: 60_000, tags: ['t'] })),
      )
      expect(await inner.deleteByTag('t')).toBe(20)
      await Promise.all(keys.map((k) => inner.set(k, { meta: {}, body: body(k) }, { ttl: 60_000 })))
      await inner.clear()
      for (const node of client.nodes('master')) expect(await node.keys('app:*')).toEqual([])
    } finally {
      await prefixed.quit()
    }
  })

  it('gives a lock to one holder at a time', async () => {
    const release = await store.lock('render', 10_000)
    expect(await store.lock('render', 10_000)).toBeUndefined()
    await release!()
    const again = await store.lock('render', 10_000)
    expect(again).toBeTypeOf('function')
    await again!()
  })
})

describe.runIf(runRedis)('redisStore through Sentinel', () => {
  let sentinel: RedisSentinel
  let client: Redis

  beforeAll(async () => {
    sentinel = await startRedisSentinel()
    client = new Redis({ sentinels: sentinel.sentinels, name: sentinel.name })
  })

  afterAll(async () => {
    await client?.quit()
    await sentinel?.stop()
  })

  it('works with a client that finds its master through Sentinel', async () => {
    const store = redisStore({ client, prefix: 'sentinel:', timeout: '2s', logger: false })
    await store.set('k', { meta: { via: 'sentinel' }, body: allBytes }, { ttl: 60_000, tags: ['t'] })
    const entry = await store.get('k')
    expect(entry?.body.equals(allBytes)).toBe(true)
    expect(await redisCommand(sentinel.master.port, 'EXISTS sentinel:e:k')).toMatch(/^:1/)
    expect(await store.deleteByTag('t')).toBe(1)
  })
})

describe('redisStore options', () => {
  const client = new Redis({ lazyConnect: true })

  it.each<[string, () => unknown, RegExp]>([
    ['a missing client', () => redisStore({} as never), /client/],
    ['something that is not an ioredis client', () => redisStore({ client: {} as never }), /client/],
    ['an empty prefix', () => redisStore({ client, prefix: '' }), /prefix/],
    ['a zero timeout', () => redisStore({ client, timeout: 0 }), /timeout/],
    ['a bad timeout string', () => redisStore({ client, timeout: 'soon' }), /timeout/],
    ['a zero failureThreshold', () => redisStore({ client, failureThreshold: 0 }), /failureThreshold/],
  ])('refuses %s at creation', (_what, create, message) => {
    expect(create).toThrow(BriskOptionError)
    expect(create).toThrow(message)
  })
})
