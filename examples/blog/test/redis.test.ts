import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import type { RequestListener } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as delay } from 'node:timers/promises'
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
import { POPULAR_POSTS } from '../src/fragments.js'
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

/** Polls `path` on `listener` until its body contains `text`; fails after `attempts` tries. */
async function eventually(
  listener: RequestListener,
  path: string,
  text: string,
  attempts = 250,
): Promise<string> {
  let body = ''
  for (let attempt = 0; attempt < attempts; attempt++) {
    body = (await request(listener).get(path).expect(200)).text
    if (body.includes(text)) return body
    await delay(20)
  }
  throw new Error(`${path} still lacks ${JSON.stringify(text)} after ${attempts} tries`)
}

describe.runIf(runRedis)('two blog instances on one tiered store', () => {
  test('an edit on instance A shows on instance B, in its pages and in its cached fragments', async () => {
    // One database file and one key prefix: two servers of the same blog, each with its own L1.
    const dir = mkdtempSync(join(tmpdir(), 'brisk-blog-'))
    const config = testConfig({
      databasePath: join(dir, 'blog.sqlite'),
      brisk: { store: 'tiered', redisUrl: REDIS_URL, keyPrefix: uniquePrefix() },
    })
    const a = createKoaApp(config)
    const b = createExpressApp(config)
    try {
      await Promise.all([a.blog.brisk.ready(), b.blog.brisk.ready()])
      const id = b.blog.queries.popularIds(POPULAR_POSTS)[0]!
      const post = b.blog.queries.post(id)!
      const tag = post.tags[0]!
      const paths = [`/posts/${id}`, `/tags/${tag}`, '/']
      // B serves every page, and every fragment in it, from its own L1.
      for (const path of paths) {
        await request(b.listener).get(path).expect(200)
        expect((await request(b.listener).get(path).expect(200)).headers['cache-status']).toMatch(/; hit/)
      }
      expect((await request(b.listener).get(`/posts/${id}`).expect(200)).text).toContain(post.title)

      const cookie = await login(a.listener)
      await request(a.listener)
        .put(`/api/admin/posts/${id}`)
        .set('Cookie', cookie)
        .send({ title: 'Edited on instance A', body: post.body, tags: post.tags })
        .expect(200)

      const link = `<a href="/posts/${id}">Edited on instance A</a>`
      for (const path of paths) {
        const page = await eventually(b.listener, path, link)
        expect(page).not.toContain(post.title)
      }
    } finally {
      await a.close()
      await b.close()
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
