import { randomUUID } from 'node:crypto'
import fc from 'fast-check'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { REDIS_URL, sharedRedisAvailable } from '../../../test/support/redis-server.js'
import { ALGORITHM_CASES, T0 } from './algorithm-table.js'
import { evaluatePolicies } from './evaluate.js'
import { compilePolicies } from './policy.js'
import { policyArguments, RATE_LIMIT_SCRIPT } from './redis-script.js'
import type { PolicyState } from './step.js'

const available = await sharedRedisAvailable()

describe.skipIf(!available && !process.env.CI)('rate limit Lua script on a real Redis', () => {
  const prefix = `brisk-test:ratelimit-script:${randomUUID()}:`
  let redis: Redis

  beforeAll(() => {
    redis = new Redis(REDIS_URL, { lazyConnect: false })
  })
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  const readState = async (key: string): Promise<PolicyState> => {
    const [a, b, c] = await redis.hmget(key, 'a', 'b', 'c')
    return { a: Number(a ?? 0), b: Number(b ?? 0), c: Number(c ?? 0) }
  }

  it.each(ALGORITHM_CASES.map((c, i) => [c.name, c, i] as const))('mirrors %s', async (_name, c, i) => {
    const key = `${prefix}{case${i}}`
    if (c.state.a !== 0 || c.state.b !== 0 || c.state.c !== 0) {
      await redis.hset(key, 'a', String(c.state.a), 'b', String(c.state.b), 'c', String(c.state.c))
    }
    const reply = (await redis.eval(
      RATE_LIMIT_SCRIPT,
      1,
      key,
      String(c.now),
      String(c.cost),
      ...policyArguments(c.policy),
    )) as number[]
    const e = c.expected
    expect(reply).toEqual([
      e.allowed ? 1 : 0,
      e.allowed ? 1 : 0,
      e.remaining,
      e.resetMs,
      e.retryAfterMs,
      c.now,
    ])
    if (!e.allowed) {
      expect(await readState(key)).toEqual(c.state)
    } else if (e.ttlMs > 0) {
      expect(await readState(key)).toEqual(e.next)
      const ttl = await redis.pttl(key)
      expect(ttl).toBeGreaterThan(0)
      expect(ttl).toBeLessThanOrEqual(e.ttlMs)
    } else {
      expect(await redis.exists(key)).toBe(0)
    }
  })

  const policySets = {
    'a fixed window': compilePolicies([{ limit: 5, window: '5s', algorithm: 'fixed-window' }], 'policies'),
    'a sliding window': compilePolicies(
      [{ limit: 6, window: '4s', algorithm: 'sliding-window' }],
      'policies',
    ),
    'a token bucket': compilePolicies(
      [{ limit: 7, window: '3s', algorithm: 'token-bucket', burst: 3 }],
      'policies',
    ),
    'three policies at once': compilePolicies(
      [
        { limit: 7, window: '3s', algorithm: 'token-bucket', burst: 4, name: 'burst' },
        { limit: 12, window: '10s', algorithm: 'sliding-window', name: 'window' },
        { limit: 9, window: '5s', algorithm: 'fixed-window', name: 'fixed' },
      ],
      'policies',
    ),
  }

  it.each(Object.entries(policySets))(
    'agrees with evaluatePolicies on random request sequences against %s',
    async (label, policies) => {
      const args = policies.flatMap(policyArguments)
      let run = 0
      await fc.assert(
        fc.asyncProperty(
          fc.array(
            fc.record({ dt: fc.integer({ min: 0, max: 1500 }), cost: fc.integer({ min: 0, max: 3 }) }),
            {
              minLength: 1,
              maxLength: 40,
            },
          ),
          async (requests) => {
            run += 1
            const keys = policies.map((p) => `${prefix}{${label}:${run}}:${p.name}`)
            let states: PolicyState[] = []
            let now = T0 + 123
            for (const { dt, cost } of requests) {
              now += dt
              const expected = evaluatePolicies(policies, states, now, cost)
              if (expected.allowed) states = expected.steps.map((step) => step.next)
              const reply = (await redis.eval(
                RATE_LIMIT_SCRIPT,
                keys.length,
                ...keys,
                String(now),
                String(cost),
                ...args,
              )) as number[]
              const flat = [expected.allowed ? 1 : 0]
              for (const step of expected.steps) {
                flat.push(step.allowed ? 1 : 0, step.remaining, step.resetMs, step.retryAfterMs)
              }
              expect(reply).toEqual([...flat, now])
            }
            await redis.del(...keys)
          },
        ),
        { numRuns: 30 },
      )
    },
  )

  it('consumes nothing once the caller has stopped waiting (its deadline has passed)', async () => {
    const [policy] = compilePolicies([{ limit: 5, window: '1h', algorithm: 'fixed-window' }], 'policies')
    const key = `${prefix}{deadline}`
    const args = policyArguments(policy!)
    const now = T0 + 1000
    const late = await redis.eval(RATE_LIMIT_SCRIPT, 1, key, String(now), '1', ...args, String(now - 1))
    expect(late).toEqual([-1, now])
    expect(await redis.exists(key)).toBe(0)
    const inTime = (await redis.eval(
      RATE_LIMIT_SCRIPT,
      1,
      key,
      String(now),
      '1',
      ...args,
      String(now),
    )) as number[]
    expect(inTime[0]).toBe(1)
    expect((await readState(key)).b).toBe(1)
  })

  it('uses the Redis server clock when no time is passed', async () => {
    const [policy] = compilePolicies([{ limit: 5, window: '1h', algorithm: 'fixed-window' }], 'policies')
    const key = `${prefix}{server-time}`
    const windowOf = async (): Promise<number> => {
      const [seconds] = await redis.time()
      const ms = Number(seconds) * 1000
      return ms - (ms % 3_600_000)
    }
    const before = await windowOf()
    await redis.eval(RATE_LIMIT_SCRIPT, 1, key, '0', '1', ...policyArguments(policy!))
    const after = await windowOf()
    const { a, b } = await readState(key)
    expect(b).toBe(1)
    // The window the script opened contains the server's own time (read just before and after).
    expect([before, after]).toContain(a)
  })
})
