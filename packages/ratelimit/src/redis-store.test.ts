import { randomUUID } from 'node:crypto'
import { once } from 'node:events'
import { BriskMetrics, BriskOptionError, type BriskRequest, type BriskResponse } from '@brisk/core'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { REDIS_URL, sharedRedisAvailable, startRedisServer } from '../../../test/support/redis-server.js'
import { ioredisPrintsWhileDown } from '../../../test/support/ioredis-printed.js'
import { compilePolicies } from './policy.js'
import { rateLimit } from './rate-limit.js'
import { RATE_LIMIT_SCRIPT_SHA } from './redis-script.js'
import { RedisStore, redisStore } from './redis-store.js'

const available = await sharedRedisAvailable()
const THREE = compilePolicies([{ limit: 3, window: '1000d', algorithm: 'fixed-window' }], 'policies')
const FIVE = compilePolicies([{ limit: 5, window: '1000d', algorithm: 'fixed-window' }], 'policies')

/** Runs `test` against a redis-server of its own, with the store's client and an admin one. */
async function onPrivateRedis(
  test: (redis: { client: Redis; admin: Redis }) => Promise<void>,
): Promise<void> {
  const server = await startRedisServer()
  const client = new Redis(server.url)
  const admin = new Redis(server.url)
  try {
    await test({ client, admin })
  } finally {
    vi.restoreAllMocks()
    client.disconnect()
    admin.disconnect()
    await server.stop()
  }
}
const ok = async (): Promise<BriskResponse> => ({ status: 200, headers: {}, body: null })
const request = (clientAddress = '192.0.2.1'): BriskRequest => ({
  method: 'GET',
  url: '/',
  headers: {},
  clientAddress,
  hints: {},
})

describe.skipIf(!available && !process.env.CI)('RedisStore on the shared Redis', () => {
  const prefix = `brisk-test:ratelimit-store:${randomUUID()}:`
  let redis: Redis

  beforeAll(() => {
    redis = new Redis(REDIS_URL)
  })
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  it.each(['fixed-window', 'sliding-window', 'token-bucket'] as const)(
    'lets exactly the limit through from 400 concurrent requests of one client (%s)',
    async (algorithm) => {
      const limiter = rateLimit({
        limit: 25,
        window: '1000d',
        algorithm,
        store: redisStore({ client: redis, prefix: `${prefix}${algorithm}:`, timeout: 2000 }),
      })
      const responses = await Promise.all(Array.from({ length: 400 }, () => limiter(request(), ok)))
      expect(responses.filter((r) => r.status === 200)).toHaveLength(25)
      expect(responses.filter((r) => r.status === 429)).toHaveLength(375)
    },
  )

  it('checks several policies in one atomic call, spending none on a refusal', async () => {
    const policies = compilePolicies(
      [
        { limit: 3, window: '1000d', algorithm: 'token-bucket', name: 'burst' },
        { limit: 10, window: '1000d', algorithm: 'fixed-window', name: 'total' },
      ],
      'policies',
    )
    const store = redisStore({ client: redis, prefix: `${prefix}multi:`, timeout: 2000 })
    const decisions = await Promise.all(Array.from({ length: 50 }, () => store.consume('k', policies, 1)))
    expect(decisions.filter((d) => d.allowed)).toHaveLength(3)
    const next = await store.consume('k', policies, 0)
    expect(next.outcomes.map((o) => o.remaining)).toEqual([0, 7])
  })

  it('keeps every policy of one client under one hash tag', async () => {
    const policies = compilePolicies(
      [
        { limit: 3, window: '1m', name: 'a' },
        { limit: 9, window: '1h', name: 'b' },
      ],
      'policies',
    )
    const store = redisStore({ client: redis, prefix: `${prefix}tag:`, timeout: 2000 })
    await store.consume('2001:db8::/56', policies, 1)
    const keys = (await redis.keys(`${prefix}tag:*`)).sort()
    expect(keys).toHaveLength(2)
    for (const key of keys) expect(key.startsWith(`${prefix}tag:{2001:db8::/56}:`)).toBe(true)
  })

  it('hashes a huge or brace-bearing client key instead of writing it into Redis', async () => {
    const policies = compilePolicies([{ limit: 3, window: '1m' }], 'options')
    const store = redisStore({ client: redis, prefix: `${prefix}huge:`, timeout: 2000 })
    await store.consume('k'.repeat(100_000), policies, 1)
    await store.consume('a}b', policies, 1)
    const keys = await redis.keys(`${prefix}huge:*`)
    expect(keys).toHaveLength(2)
    for (const key of keys) expect(key.length).toBeLessThan(200)
    expect(keys.every((key) => /\{#[\w-]+\}/.test(key))).toBe(true)
  })

  it('forgets a client on reset', async () => {
    const policies = compilePolicies([{ limit: 1, window: '1h' }], 'options')
    const store = redisStore({ client: redis, prefix: `${prefix}reset:`, timeout: 2000 })
    expect((await store.consume('c', policies, 1)).allowed).toBe(true)
    expect((await store.consume('c', policies, 1)).allowed).toBe(false)
    await store.reset('c', policies)
    expect((await store.consume('c', policies, 1)).allowed).toBe(true)
  })

  it('starts fresh counters when a policy changes instead of misreading the old state', async () => {
    const store = redisStore({ client: redis, prefix: `${prefix}change:`, timeout: 2000 })
    const before = compilePolicies([{ limit: 1, window: '1h', algorithm: 'fixed-window' }], 'options')
    const after = compilePolicies([{ limit: 1, window: '1h', algorithm: 'token-bucket' }], 'options')
    await store.consume('c', before, 1)
    expect((await store.consume('c', after, 1)).allowed).toBe(true)
  })
})

describe('RedisStore and the client it is given', () => {
  it('keeps ioredis from printing every failed reconnect of a client nobody listens to', async () => {
    // `redisStore({ client: new Redis(url) })` with Redis down: the guard logs the outage
    // once, and ioredis must not add a stack to stderr per reconnect attempt.
    expect(await ioredisPrintsWhileDown((client) => redisStore({ client, logger: false }))).toEqual([])
  })
})

describe('RedisStore on a private redis-server', () => {
  it('reloads its script after SCRIPT FLUSH and keeps counting', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    try {
      const policies = compilePolicies([{ limit: 3, window: '1000d', algorithm: 'fixed-window' }], 'options')
      const store = redisStore({ client, timeout: 2000 })
      await store.consume('k', policies, 1)
      await client.script('FLUSH')
      expect(await client.script('EXISTS', RATE_LIMIT_SCRIPT_SHA)).toEqual([0])
      const decision = await store.consume('k', policies, 1)
      expect(decision).toMatchObject({ allowed: true, outcomes: [{ remaining: 1 }] })
      expect(await client.script('EXISTS', RATE_LIMIT_SCRIPT_SHA)).toEqual([1])
    } finally {
      client.disconnect()
      await server.stop()
    }
  })

  it('sends nothing while the connection is lost, so a reconnect replays no decided request', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    client.on('error', () => {}) // the stopped server's connection errors are expected
    try {
      const policies = compilePolicies([{ limit: 3, window: '1000d', algorithm: 'fixed-window' }], 'policies')
      // A timeout that cannot fire during the test: only the lost connection can refuse.
      const store = redisStore({ client, logger: false, timeout: '1h' })
      await store.consume('k', policies, 1)
      const lost = once(client, 'reconnecting')
      await server.stop()
      await lost
      // Refused at once, and not queued for later.
      await expect(store.consume('k', policies, 1)).rejects.toThrow()
      await expect(store.consume('k', policies, 1)).rejects.toThrow()
      const ready = once(client, 'ready')
      await server.restart()
      await ready
      await client.ping()
      // The restarted server lost its counters and was sent nothing of the outage.
      expect(await client.keys('*')).toEqual([])
      expect(await store.consume('k', policies, 1)).toMatchObject({ outcomes: [{ remaining: 2 }] })
    } finally {
      client.disconnect()
      await server.stop()
    }
  })

  it('counts nothing for a command Redis runs after the store stopped waiting for it', () =>
    onPrivateRedis(async ({ client, admin }) => {
      const store = redisStore({ client, timeout: 100, logger: false })
      await store.consume('k', THREE, 1) // the store learns the server's clock from the reply
      await admin.call('CLIENT', 'PAUSE', '400', 'ALL')
      await expect(store.consume('k', THREE, 1)).rejects.toMatchObject({ reason: 'timeout' })
      // The paused command runs once the pause ends; a PING behind it on the same connection
      // answers after it.
      await client.ping()
      const [key] = await admin.keys('*')
      expect(await admin.hget(key!, 'b')).toBe('1')
    }))

  it('counts nothing for a late command even before any reply taught it the Redis clock', () =>
    onPrivateRedis(async ({ client, admin }) => {
      const store = redisStore({ client, timeout: 100, logger: false })
      await client.ping()
      await admin.call('CLIENT', 'PAUSE', '400', 'ALL')
      await expect(store.consume('k', THREE, 1)).rejects.toMatchObject({ reason: 'timeout' })
      await client.ping() // answers after the paused script ran
      expect(await admin.keys('*')).toEqual([])
      expect(await store.consume('k', THREE, 1)).toMatchObject({ outcomes: [{ remaining: 2 }] })
    }))

  it("keeps counting in Redis when this host's wall clock steps back", () =>
    onPrivateRedis(async ({ client }) => {
      const wallClock = Date.now.bind(Date)
      const store = redisStore({ client, timeout: 1000, logger: false })
      await store.consume('k', FIVE, 1)
      // What an NTP correction of 10 s looks like to Node.
      vi.spyOn(Date, 'now').mockImplementation(() => wallClock() - 10_000)
      const remaining: number[] = []
      for (let i = 0; i < 3; i++) remaining.push((await store.consume('k', FIVE, 1)).outcomes[0]!.remaining)
      expect(remaining).toEqual([3, 2, 1])
    }))

  it('learns from a "too late" reply that the Redis clock moved ahead, and asks once more', () =>
    onPrivateRedis(async ({ client, admin }) => {
      const localClock = performance.now.bind(performance)
      const store = redisStore({ client, timeout: 1000, logger: false })
      await store.consume('k', FIVE, 1)
      // Seen from this process, Redis's clock jumping 10 s ahead of the one it learnt.
      vi.spyOn(performance, 'now').mockImplementation(() => localClock() - 10_000)
      expect(await store.consume('k', FIVE, 1)).toMatchObject({ allowed: true, outcomes: [{ remaining: 3 }] })
      expect(await store.consume('k', FIVE, 1)).toMatchObject({ allowed: true, outcomes: [{ remaining: 2 }] })
      const [key] = await admin.keys('*')
      expect(await admin.hget(key!, 'b')).toBe('3') // each request counted once
      expect(store.guard.state).toBe('closed')
    }))

  it('waits for a Redis that is busy but answering: by default a late verdict is still the verdict', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    const admin = new Redis(server.url)
    try {
      const limiter = rateLimit({
        limit: 1,
        window: '1000d',
        store: redisStore({ client, logger: false }),
        failure: 'closed',
      })
      await client.ping()
      // Held 300 ms: far more than a cache would wait, well within the limiter's default.
      await admin.call('CLIENT', 'PAUSE', '300', 'ALL')
      const statuses = await Promise.all([limiter(request(), ok), limiter(request(), ok)])
      expect(statuses.map((response) => response.status).sort()).toEqual([200, 429])
    } finally {
      client.disconnect()
      admin.disconnect()
      await server.stop()
    }
  })

  it('fails open with the insurance limiter when Redis is slower than the timeout', async () => {
    const server = await startRedisServer()
    const client = new Redis(server.url)
    const admin = new Redis(server.url)
    const warnings: string[] = []
    const logger = {
      warn: (_o: object, msg?: string) => warnings.push(msg ?? ''),
      info() {},
      error() {},
      debug() {},
    }
    try {
      const metrics = new BriskMetrics()
      const limiter = rateLimit({
        limit: 2,
        window: '1000d',
        store: redisStore({ client, timeout: 50, logger, metrics }),
        metrics,
      })
      await client.ping()
      // Every command on the server waits while clients are paused: the store times out.
      await admin.call('CLIENT', 'PAUSE', '5000', 'ALL')
      const statuses: number[] = []
      for (let i = 0; i < 4; i++) statuses.push((await limiter(request(), ok)).status)
      expect(statuses).toEqual([200, 200, 429, 429])
      expect(warnings).toHaveLength(1)
      expect(metrics.get('backend.incident')).toBe(1)
    } finally {
      client.disconnect()
      admin.disconnect()
      await server.stop()
    }
  })
})

describe('redisStore options', () => {
  it.each([
    ['no client', {}],
    ['a client that is not ioredis', { client: {} }],
    ['a prefix with a brace', { client: new Redis({ lazyConnect: true }), prefix: 'a{b' }],
    ['a zero timeout', { client: new Redis({ lazyConnect: true }), timeout: 0 }],
    ['a misspelt option', { client: new Redis({ lazyConnect: true }), timeOut: 50 }],
  ])('rejects %s at creation', (_label, options) => {
    expect(() => new RedisStore(options as never)).toThrow(BriskOptionError)
  })
})
