/**
 * Audit of the response cache against issue #3, black-box, on every store the README documents:
 * memory, Redis (shared server, random prefix), tiered (memory over Redis), Redis Cluster and
 * tiered over Cluster (3 masters started here on loopback ports). Stores are built exactly as
 * the README shows (`redisStore({ client: new Redis(url) })`, default timeouts), with a prefix
 * of their own. Two "instances" are two servers with their own cache() and store objects over
 * the same backend.
 */
import { randomBytes } from 'node:crypto'
import { request as httpRequest } from 'node:http'
import {
  cache,
  memoryStore,
  redisStore,
  tieredStore,
  type CacheStore,
  type ResponseCache,
} from '@brisk/cache'
import { Cluster, Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import {
  REDIS_URL,
  sharedRedisAvailable,
  startRedisCluster,
  type RedisCluster,
} from '../support/redis-server.js'
import { closeAll, frameworks, listen, type Reply, type Route } from './audit-apps.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

afterEach(closeAll)

/** A backend shared by instances: `make()` is one instance's store. */
interface Backend {
  name: string
  shared: boolean
  make(): Promise<CacheStore>
}

const closers: Array<() => Promise<void>> = []
let cluster: RedisCluster | undefined

beforeAll(async () => {
  if (runRedis) cluster = await startRedisCluster(3)
})

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => {})
  await cluster?.stop()
})

function redisClient(): Redis {
  const client = new Redis(REDIS_URL)
  closers.push(async () => void (await client.quit()))
  return client
}

function clusterClient(): Cluster {
  const client = new Cluster((cluster as RedisCluster).startupNodes)
  closers.push(async () => void (await client.quit()))
  return client
}

async function tiered(client: Redis | Cluster, prefix: string): Promise<CacheStore> {
  const store = tieredStore({
    l1: memoryStore({ maxSize: '8 MB' }),
    l2: redisStore({ client, prefix, logger: false }),
    logger: false,
  })
  closers.push(async () => await store.close?.())
  await store.ready()
  return store
}

/** Every store kind, each with a fresh prefix per test (call inside a test). */
function backends(): Backend[] {
  const prefix = `audit:${randomBytes(6).toString('hex')}:`
  const memory = memoryStore()
  const list: Backend[] = [{ name: 'memory', shared: false, make: async () => memory }]
  if (!runRedis) return list
  list.push(
    {
      name: 'redis',
      shared: true,
      make: async () => redisStore({ client: redisClient(), prefix, logger: false }),
    },
    { name: 'tiered', shared: true, make: () => tiered(redisClient(), prefix) },
    {
      name: 'cluster',
      shared: true,
      make: async () => redisStore({ client: clusterClient(), prefix, logger: false }),
    },
    { name: 'tiered over cluster', shared: true, make: () => tiered(clusterClient(), prefix) },
  )
  return list
}

const storeNames = runRedis ? ['memory', 'redis', 'tiered', 'cluster', 'tiered over cluster'] : ['memory']

function backend(name: string): Backend {
  return backends().find((b) => b.name === name) as Backend
}

interface Raw {
  status: number
  rawHeaders: string[]
  body: Buffer
}

function get(base: string, path: string, method = 'GET', headers: Record<string, string> = {}): Promise<Raw> {
  const { port } = new URL(base)
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

/** The raw header lines a client reads, minus those that differ per response by design. */
function representation(raw: Raw): string[] {
  const perResponse = new Set([
    'date',
    'age',
    'cache-status',
    'connection',
    'keep-alive',
    'transfer-encoding',
  ])
  const lines: string[] = []
  for (let i = 0; i < raw.rawHeaders.length; i += 2) {
    const name = (raw.rawHeaders[i] as string).toLowerCase()
    if (!perResponse.has(name)) lines.push(`${name}: ${raw.rawHeaders[i + 1] as string}`)
  }
  return lines.sort()
}

function statusOf(raw: Raw): string {
  const at = raw.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'cache-status')
  return at === -1 ? '' : (raw.rawHeaders[at + 1] as string)
}

describe.each(storeNames)('on the %s store', (storeName) => {
  describe.each(frameworks)('through %s', (_framework, build) => {
    async function instance(store: CacheStore, route: Route, options = {}) {
      const mw: ResponseCache = cache({ store, logger: false, ...options })
      const counter = { calls: 0 }
      const base = await listen(
        build(mw, (req) => {
          counter.calls++
          return route(req)
        }),
      )
      return { mw, base, counter }
    }

    it('keeps status, every representation header and binary bytes exactly as the app sent them', async () => {
      const store = await backend(storeName).make()
      const body = randomBytes(64 * 1024)
      const route: Route = () => ({
        status: 203,
        headers: {
          'cache-control': 'public, max-age=60',
          'content-type': 'application/vnd.brisk+octet-stream; charset=UTF-8; profile="a, b"',
          'content-language': 'de-DE, en',
          'content-disposition': `attachment; filename="resume.bin"; filename*=UTF-8''r%C3%A9sum%C3%A9.bin`,
          'content-location': '/files/r%C3%A9sum%C3%A9.bin',
          link: ['</a.css>; rel=preload; as=style', '</b.js>; rel=preload; as=script'],
          'x-multi': ['one', 'two', 'three'],
          'x-empty-ish': ' spaced  value ',
          'last-modified': 'Tue, 01 Dec 2026 10:00:00 GMT',
          etag: 'W/"bin-1"',
        },
        body,
      })
      const t = await instance(store, route)
      const miss = await get(t.base, '/file.bin')
      const hit = await get(t.base, '/file.bin')
      expect(statusOf(miss)).toBe('brisk; fwd=uri-miss; stored')
      expect(statusOf(hit)).toMatch(/^brisk; hit; ttl=\d+$/)
      expect(hit.status).toBe(203)
      expect(hit.body.equals(body)).toBe(true)
      expect(representation(hit)).toEqual(representation(miss))
      expect(representation(hit)).toEqual(
        expect.arrayContaining([
          'content-type: application/vnd.brisk+octet-stream; charset=UTF-8; profile="a, b"',
          'content-language: de-DE, en',
          'link: </a.css>; rel=preload; as=style',
          'link: </b.js>; rel=preload; as=script',
          'x-multi: one',
          'x-multi: two',
          'x-multi: three',
          `content-length: ${body.length}`,
          'etag: W/"bin-1"',
        ]),
      )
      const head = await get(t.base, '/file.bin', 'HEAD')
      expect(head.body.length).toBe(0)
      expect(representation(head)).toEqual(representation(miss))
      expect(t.counter.calls).toBe(1)
    })

    it('keeps an empty 204 and a bodyless redirect', async () => {
      const store = await backend(storeName).make()
      const t = await instance(store, (req): Reply =>
        req.url === '/empty'
          ? { status: 204, headers: { 'cache-control': 'max-age=60', 'x-kind': 'empty' } }
          : { status: 301, headers: { 'cache-control': 'max-age=60', location: '/elsewhere' }, body: '' },
      )
      await get(t.base, '/empty')
      await get(t.base, '/moved')
      const empty = await get(t.base, '/empty')
      const moved = await get(t.base, '/moved')
      expect([empty.status, moved.status]).toEqual([204, 301])
      expect(representation(empty)).toContain('x-kind: empty')
      expect(representation(moved)).toContain('location: /elsewhere')
      expect(statusOf(empty)).toMatch(/^brisk; hit/)
      expect(statusOf(moved)).toMatch(/^brisk; hit/)
      expect(t.counter.calls).toBe(2)
    })

    it('calls the app once for 200 concurrent misses', async () => {
      const store = await backend(storeName).make()
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      const t = await instance(store, async () => {
        // Hold the one app call until every request has arrived, so all 200 are concurrent.
        await gate
        return { headers: { 'cache-control': 'max-age=60', 'content-type': 'text/plain' }, body: 'popular' }
      })
      const responses = Promise.all(Array.from({ length: 200 }, () => fetch(`${t.base}/hot`)))
      // Every request is either the one in the app or waiting for it once the app was called.
      while (t.counter.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      setTimeout(release, 200)
      const bodies = await Promise.all((await responses).map((res) => res.text()))
      expect(bodies.every((body) => body === 'popular')).toBe(true)
      expect(t.counter.calls).toBe(1)
    })
  })

  // Two instances share nothing through a memory store: the block exists for remote stores only.
  if (storeName !== 'memory')
    describe('shared by two instances', () => {
      /**
       * Asks until `check` holds. On a single Redis a purge resolves once every instance has its
       * invalidation (one check); on Cluster, pub/sub crosses the cluster bus to the node the other
       * instance listens on, so its L1 drops the entry a few milliseconds later (bounded poll).
       */
      async function eventually(check: () => Promise<boolean>): Promise<void> {
        const tries = storeName === 'tiered over cluster' ? 200 : 1
        let held = await check()
        for (let i = 1; i < tries && !held; i++) {
          await new Promise((resolve) => setTimeout(resolve, 10))
          held = await check()
        }
        expect(held).toBe(true)
      }

      async function pair(route: Route) {
        const b = backend(storeName)
        const make = async () => {
          const mw = cache({ store: await b.make(), logger: false })
          const counter = { calls: 0 }
          const [, build] = frameworks[0] as (typeof frameworks)[number]
          const base = await listen(
            build(mw, (req) => {
              counter.calls++
              return route(req)
            }),
          )
          return { mw, base, counter }
        }
        return [await make(), await make()] as const
      }

      it('serves on B what A stored, and a purge by tag on A is seen by B', async () => {
        let version = 1
        const [a, b] = await pair(() => ({
          headers: { 'cache-control': 'max-age=300', 'cache-tag': 'post:42' },
          body: `post v${version}`,
        }))
        expect((await get(a.base, '/posts/42')).body.toString()).toBe('post v1')
        const onB = await get(b.base, '/posts/42')
        expect(statusOf(onB)).toMatch(/^brisk; hit/)
        expect((await get(b.base, '/posts/42')).body.toString()).toBe('post v1')
        version = 2
        expect(await a.mw.purgeTag('post:42')).toBe(1)
        await eventually(async () => (await get(b.base, '/posts/42')).body.toString() === 'post v2')
      })

      it('drops the entry on B after a successful POST on A', async () => {
        let version = 1
        const [a, b] = await pair((req): Reply =>
          req.method === 'POST'
            ? { status: 303, headers: { location: '/' }, body: `saved v${++version}` }
            : { headers: { 'cache-control': 'max-age=300' }, body: `${req.url ?? ''} v${version}` },
        )
        await get(b.base, '/')
        await get(b.base, '/doc')
        expect(statusOf(await get(b.base, '/'))).toMatch(/^brisk; hit/)
        await get(a.base, '/doc', 'POST')
        await eventually(async () => (await get(b.base, '/doc')).body.toString() === '/doc v2')
        await eventually(async () => (await get(b.base, '/')).body.toString() === '/ v2')
      })

      it('purges everything on B with purgeAll on A', async () => {
        const [a, b] = await pair((req) => ({
          headers: { 'cache-control': 'max-age=300' },
          body: req.url ?? '',
        }))
        for (const path of ['/1', '/2', '/3']) {
          await get(b.base, path)
          expect(statusOf(await get(b.base, path))).toMatch(/^brisk; hit/)
        }
        await a.mw.purgeAll()
        for (const path of ['/1', '/2', '/3'])
          await eventually(async () => /^brisk; fwd=uri-miss/.test(statusOf(await get(b.base, path))))
      })

      it('calls the app once for concurrent misses on both instances', async () => {
        let release: () => void = () => {}
        const gate = new Promise<void>((resolve) => (release = resolve))
        const [a, b] = await pair(async () => {
          await gate
          return { headers: { 'cache-control': 'max-age=60' }, body: 'shared' }
        })
        const responses = Promise.all(
          Array.from({ length: 100 }, (_, i) => fetch(`${i % 2 === 0 ? a.base : b.base}/together`)),
        )
        while (a.counter.calls + b.counter.calls === 0) await new Promise((resolve) => setTimeout(resolve, 5))
        setTimeout(release, 200)
        const bodies = await Promise.all((await responses).map((res) => res.text()))
        expect(bodies.every((body) => body === 'shared')).toBe(true)
        expect(a.counter.calls + b.counter.calls).toBe(1)
      })
    })
})
