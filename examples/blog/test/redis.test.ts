import { randomBytes } from 'node:crypto'
import { Redis } from 'ioredis'
import request from 'supertest'
import { afterAll, describe, expect, test } from 'vitest'
import {
  REDIS_URL,
  sharedRedisAvailable,
  startRedisServer,
  type RedisProcess,
} from '../../../test/support/redis-server.js'
import { testConfig, type BriskSwitches } from '../src/config.js'
import { createApp as createExpressApp } from '../src/express.js'
import { createApp as createKoaApp } from '../src/koa.js'
import { login } from './cases.js'

// Redis tests run whenever a server answers, and always on CI (where a missing server fails them).
const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

const ENTRY_POINTS = [
  ['koa', createKoaApp],
  ['express', createExpressApp],
] as const

const prefixes: string[] = []

/** A key prefix of this run only, removed (and nothing else) when the file ends. */
function uniquePrefix(): string {
  const prefix = `brisk-test:blog:${randomBytes(6).toString('hex')}:`
  prefixes.push(prefix)
  return prefix
}

afterAll(async () => {
  if (!runRedis) return
  const client = new Redis(REDIS_URL)
  try {
    for (const prefix of prefixes) {
      let cursor = '0'
      do {
        const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500)
        if (keys.length > 0) await client.unlink(...keys)
        cursor = next
      } while (cursor !== '0')
    }
  } finally {
    client.disconnect()
  }
})

describe.runIf(runRedis).each(ENTRY_POINTS)('the blog on %s with a shared store', (_name, createApp) => {
  test.each(['redis', 'tiered'] as const)(
    'the %s store serves hits, and an edit purges them',
    async (store) => {
      const switches: Partial<BriskSwitches> = { store, redisUrl: REDIS_URL, keyPrefix: uniquePrefix() }
      const app = createApp(testConfig({ brisk: switches }))
      try {
        const { listener } = app
        const cookie = await login(listener)
        const created = await request(listener)
          .post('/api/admin/posts')
          .set('Cookie', cookie)
          .send({ title: 'Shared store', body: 'Kept in Redis.', tags: ['redis'] })
          .expect(201)
        const id = (created.body as { id: number }).id
        expect((await request(listener).get(`/posts/${id}`).expect(200)).headers['cache-status']).toMatch(
          /stored/,
        )
        expect((await request(listener).get(`/posts/${id}`).expect(200)).headers['cache-status']).toMatch(
          /; hit/,
        )
        await request(listener)
          .put(`/api/admin/posts/${id}`)
          .set('Cookie', cookie)
          .send({ title: 'Shared store, edited', body: 'Kept in Redis.', tags: ['redis'] })
          .expect(200)
        expect((await request(listener).get(`/posts/${id}`).expect(200)).text).toContain(
          'Shared store, edited',
        )
      } finally {
        await app.close()
      }
    },
  )
})

describe.runIf(runRedis)('the blog when its Redis server goes down', () => {
  test.each(ENTRY_POINTS)(
    '%s keeps serving pages, logins and edits from the app',
    async (_name, createApp) => {
      const server: RedisProcess = await startRedisServer()
      const app = createApp(
        testConfig({ brisk: { store: 'redis', redisUrl: server.url, keyPrefix: uniquePrefix() } }),
      )
      try {
        const { listener, blog } = app
        await request(listener).get('/posts/2').expect(200)
        expect((await request(listener).get('/posts/2').expect(200)).headers['cache-status']).toMatch(/; hit/)
        await server.stop()
        const page = await request(listener).get('/posts/2').expect(200)
        expect(page.text).toContain(blog.queries.post(2)!.title)
        const cookie = await login(listener)
        await request(listener)
          .put('/api/admin/posts/2')
          .set('Cookie', cookie)
          .send({ title: 'Written while Redis was down', body: 'Still works.', tags: [] })
          .expect(200)
        expect((await request(listener).get('/posts/2').expect(200)).text).toContain(
          'Written while Redis was down',
        )
        expect(blog.briskMetrics.get('backend.error')).toBeGreaterThan(0)
      } finally {
        await app.close()
        await server.stop()
      }
    },
  )
})
