import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import { afterAll, describe, expect, it } from 'vitest'
import { REDIS_URL, sharedRedisAvailable } from '../support/redis-server.js'
import { runWorkers } from './workers.js'

const available = await sharedRedisAvailable()

describe.skipIf(!available && !process.env.CI)('rate limiting across processes sharing Redis', () => {
  const prefix = `brisk-test:ratelimit-processes:${randomUUID()}:`

  afterAll(async () => {
    const redis = new Redis(REDIS_URL)
    const keys = await redis.keys(`${prefix}*`)
    if (keys.length > 0) await redis.del(...keys)
    await redis.quit()
  })

  it.each(['fixed-window', 'sliding-window', 'token-bucket'] as const)(
    'lets exactly the limit through from 4 processes × 150 concurrent requests (%s)',
    async (algorithm) => {
      // A 1000-day window: no boundary (or refill) can fall inside the test.
      const result = await runWorkers(4, {
        url: REDIS_URL,
        prefix,
        key: `client-${algorithm}`,
        requests: 150,
        policies: [{ limit: 40, window: '1000d', algorithm }],
      })
      expect(result).toEqual({ allowed: 40, limited: 560 })
    },
  )

  it('keeps two policies exact across processes: the burst refusals spend nothing of the total', async () => {
    const result = await runWorkers(3, {
      url: REDIS_URL,
      prefix,
      key: 'client-multi',
      requests: 100,
      policies: [
        { limit: 30, window: '1000d', algorithm: 'token-bucket', name: 'burst' },
        { limit: 50, window: '1000d', algorithm: 'fixed-window', name: 'total' },
      ],
    })
    expect(result).toEqual({ allowed: 30, limited: 270 })
    const redis = new Redis(REDIS_URL)
    try {
      const [totalKey] = await redis.keys(`${prefix}{client-multi}:total:*`)
      expect(await redis.hget(totalKey!, 'b')).toBe('30')
    } finally {
      await redis.quit()
    }
  })
})
