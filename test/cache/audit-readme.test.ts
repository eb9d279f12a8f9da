/**
 * Audit of the response cache against issue #3, black-box, from the READMEs only: their own
 * examples for Koa (`stack`, `toKoa(cache())`, `cache()` from `@brisk/koa`), Express (`stack`
 * with a tiered store, `toExpress(cache())` on Redis with a query deny list), node:http
 * (`withBrisk(createStack())`) and front mode on all three, each probed over HTTP: hits, tags,
 * purges, HEAD, compressed variants, conditional requests and 200 concurrent misses.
 */
import { randomBytes } from 'node:crypto'
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { gunzipSync, brotliDecompressSync } from 'node:zlib'
import { cache, memoryStore, redisStore, tieredStore } from '@brisk/cache'
import {
  toExpress,
  stack as expressStack,
  brisk as expressBrisk,
  front as expressFront,
} from '@brisk/express'
import { toKoa, brisk as koaBrisk, stack as koaStack, cache as koaCache, front as koaFront } from '@brisk/koa'
import { brisk as nodeBrisk, front as nodeFront, withBrisk } from '@brisk/node'
import { createStack } from '@brisk/stack'
import express from 'express'
import { Redis } from 'ioredis'
import Koa from 'koa'
import request from 'supertest'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { REDIS_URL, sharedRedisAvailable } from '../support/redis-server.js'
import { closeAll, listen, track } from './audit-apps.js'

const runRedis = Boolean(process.env.CI) || (await sharedRedisAvailable())

afterEach(closeAll)

const clients: Redis[] = []
const closers: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const close of closers.splice(0)) await close()
  for (const client of clients.splice(0)) await client.quit()
})

function redis(): Redis {
  const client = new Redis(REDIS_URL)
  clients.push(client)
  return client
}

const prefix = (): string => `audit-readme:${randomBytes(6).toString('hex')}:`

/** A page rendered per request, big enough to be compressed. */
function render(id: string, n: number): string {
  return `<!doctype html><title>post ${id}</title>${'<p>lorem ipsum dolor sit amet</p>'.repeat(60)}<footer>render ${n}</footer>`
}

interface Raw {
  status: number
  headers: IncomingHttpHeaders
  body: Buffer
}

function decoded(res: Raw): string {
  if (res.headers['content-encoding'] === 'gzip') return gunzipSync(res.body).toString()
  if (res.headers['content-encoding'] === 'br') return brotliDecompressSync(res.body).toString()
  return res.body.toString()
}

/** A request exactly as given (no Accept-Encoding of its own, no decoding). */
async function get(server: Server, path: string, headers: Record<string, string> = {}, method = 'GET') {
  if (!server.listening) await listen(server)
  const { port } = server.address() as AddressInfo
  return new Promise<Raw>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (chunk: Buffer) => chunks.push(chunk))
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
      )
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end()
  })
}

async function concurrentMisses(base: string, path: string): Promise<string[]> {
  const responses = await Promise.all(Array.from({ length: 200 }, () => fetch(`${base}${path}`)))
  return Promise.all(responses.map((res) => res.text()))
}

describe('root README, Koa: stack() from @brisk/koa', () => {
  function app() {
    let renders = 0
    const koa = new Koa()
    koa.silent = true
    const brisk = koaStack({
      rateLimit: { limit: 100, window: '1m' },
      cache: { ttl: '30s' },
      compress: true,
      conditional: true,
      logger: false,
    })
    koa.use(brisk)
    koa.use((ctx) => {
      const id = ctx.path.split('/')[2] ?? '0'
      koaBrisk(ctx).tag(`post:${id}`)
      ctx.type = 'html'
      ctx.body = render(id, ++renders)
    })
    const server = track(createServer(koa.callback()))
    return { server, brisk, renders: () => renders }
  }

  it('stores per coding, serves hits without rendering, answers 304 and HEAD, and purges by tag', async () => {
    const t = app()
    const identity = await get(t.server, '/posts/42')
    const gzip = await get(t.server, '/posts/42', { 'accept-encoding': 'gzip' })
    const br = await get(t.server, '/posts/42', { 'accept-encoding': 'gzip, deflate, br' })
    expect(t.renders()).toBe(3)
    const hits = [
      await get(t.server, '/posts/42'),
      await get(t.server, '/posts/42', { 'accept-encoding': 'gzip;q=1.0, identity; q=0.5' }),
      await get(t.server, '/posts/42', { 'accept-encoding': 'br, gzip' }),
    ]
    expect(t.renders()).toBe(3)
    expect(hits.map((res) => res.headers['content-encoding'])).toEqual([undefined, 'gzip', 'br'])
    for (const [i, res] of hits.entries()) {
      expect(res.headers['cache-status']).toMatch(/^brisk; hit; ttl=\d+$/)
      expect(res.headers.age).toMatch(/^\d+$/)
      expect(res.headers.vary).toMatch(/accept-encoding/i)
      expect(decoded(res)).toBe(decoded([identity, gzip, br][i] as Raw))
    }
    const etag = hits[2]?.headers.etag as string
    expect(etag).toBeDefined()
    const notModified = await get(t.server, '/posts/42', { 'accept-encoding': 'br', 'if-none-match': etag })
    expect(notModified.status).toBe(304)
    const head = await get(t.server, '/posts/42', { 'accept-encoding': 'br' }, 'HEAD')
    expect(head.headers['content-length']).toBe(hits[2]?.headers['content-length'])
    expect(head.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(t.renders()).toBe(3)

    expect(await t.brisk.cache?.purgeTag('post:42')).toBe(3)
    const after = await get(t.server, '/posts/42')
    // The URL is still known to vary on Accept-Encoding; its variants are gone.
    expect(after.headers['cache-status']).toBe('brisk; fwd=vary-miss; stored')
    expect(decoded(after)).toContain('render 4')
  })
})

describe('cache README, Koa: toKoa(cache({ ttl, store: memoryStore(), sessionCookies }))', () => {
  it('caches, keeps sessions out, and honours cacheFor with swr and tags', async () => {
    let renders = 0
    const pages = cache({
      ttl: '30s',
      store: memoryStore({ maxSize: '64 MB' }),
      sessionCookies: ['sid'],
      logger: false,
    })
    const koa = new Koa().use(toKoa(pages))
    koa.silent = true
    koa.use((ctx) => {
      koaBrisk(ctx).cacheFor('5m', { swr: '1m', tags: ['posts'] })
      ctx.body = `rendered ${++renders} for ${ctx.cookies.get('sid') ?? 'anyone'}`
    })
    const server = track(createServer(koa.callback()))
    expect((await request(server).get('/')).text).toBe('rendered 1 for anyone')
    expect((await request(server).get('/').set('Cookie', 'sid=alice')).text).toBe('rendered 2 for alice')
    const hit = await request(server).get('/')
    expect(hit.text).toBe('rendered 1 for anyone')
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=(299|300)$/)
    expect(await pages.purgeTag('posts')).toBe(1)
    expect((await request(server).get('/')).text).toBe('rendered 3 for anyone')
  })

  it('works the same with cache() from @brisk/koa, whose middleware keeps the purge API', async () => {
    let renders = 0
    const pages = koaCache({ ttl: '30s', logger: false })
    const koa = new Koa().use(pages)
    koa.use((ctx) => {
      ctx.body = `rendered ${++renders}`
    })
    const server = track(createServer(koa.callback()))
    await request(server).get('/x?b=1&a=2')
    expect((await request(server).get('/x?a=2&b=1')).text).toBe('rendered 1')
    await pages.purgeUrl('/x?a=2&b=1')
    expect((await request(server).get('/x?b=1&a=2')).text).toBe('rendered 2')
  })
})

describe.runIf(runRedis)(
  'cache README, Express: toExpress(cache({ store: redisStore, query: { deny } }))',
  () => {
    it('drops tracking parameters from the key and purges by tag from a POST handler', async () => {
      let version = 1
      const pages = cache({
        store: redisStore({ client: redis(), prefix: prefix() }),
        query: { deny: ['utm_source'] },
        logger: false,
      })
      const app = express().use(toExpress(pages))
      app.get('/', (_req, res) => {
        res.set('Cache-Control', 'max-age=60').set('Cache-Tag', 'post:7').send(`home v${version}`)
      })
      app.post('/admin/posts/:id', async (req, res) => {
        version++
        await pages.purgeTag(`post:${req.params.id}`)
        res.redirect(303, '/')
      })
      const server = track(createServer(app))
      expect((await request(server).get('/?utm_source=mail')).text).toBe('home v1')
      const hit = await request(server).get('/')
      expect(hit.text).toBe('home v1')
      expect(hit.headers['cache-status']).toMatch(/^brisk; hit/)
      expect(hit.headers['cache-tag']).toBeUndefined()
      const post = await request(server).post('/admin/posts/7')
      expect(post.status).toBe(303)
      expect((await request(server).get('/')).text).toBe('home v2')
    })
  },
)

describe.runIf(runRedis)('root README, Express: stack() with a tiered store and brisk(req).cacheFor', () => {
  async function app() {
    let renders = 0
    const store = tieredStore({
      l1: memoryStore({ maxSize: '64 MB' }),
      l2: redisStore({ client: redis(), prefix: prefix() }),
      logger: false,
    })
    closers.push(async () => await store.close?.())
    const brisk = expressStack({ cache: { store }, logger: false })
    const ex = express()
    ex.use(brisk)
    ex.get('/posts/:id', (req, res) => {
      expressBrisk(req).cacheFor('5m', { swr: '1m', tags: [`post:${req.params.id}`] })
      res.type('html').send(render(req.params.id, ++renders))
    })
    const server = track(createServer(ex))
    return { server, brisk, renders: () => renders }
  }

  it('serves hits without rendering and purges by tag', async () => {
    const t = await app()
    await get(t.server, '/posts/1', { 'accept-encoding': 'gzip' })
    const hit = await get(t.server, '/posts/1', { 'accept-encoding': 'gzip' })
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=(299|300)$/)
    expect(decoded(hit)).toContain('render 1')
    expect(t.renders()).toBe(1)
    await t.brisk.cache?.purgeTag('post:1')
    expect(decoded(await get(t.server, '/posts/1', { 'accept-encoding': 'gzip' }))).toContain('render 2')
  })

  it('calls the handler once for 200 concurrent misses', async () => {
    const t = await app()
    const bodies = await concurrentMisses(await listen(t.server), '/posts/9')
    expect(new Set(bodies).size).toBe(1)
    expect(t.renders()).toBe(1)
  })
})

describe('node:http: withBrisk(createStack(options), listener)', () => {
  it('caches with the stack and purges through stack.cache', async () => {
    let renders = 0
    const stack = createStack({ cache: { ttl: '30s', logger: false }, logger: false })
    const server = track(
      createServer(
        withBrisk(
          stack,
          (req, res) => {
            nodeBrisk(req).tag('home')
            res.setHeader('content-type', 'text/html')
            res.end(render('home', ++renders))
          },
          { logger: false },
        ),
      ),
    )
    await get(server, '/')
    const hit = await get(server, '/')
    expect(hit.headers['cache-status']).toMatch(/^brisk; hit/)
    expect(await stack.cache?.purgeTag('home')).toBe(1)
    await get(server, '/')
    expect(renders).toBe(2)
    const bodies = await concurrentMisses(
      `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      '/burst',
    )
    expect(new Set(bodies).size).toBe(1)
    expect(renders).toBe(3)
  })
})

describe('front mode: http.createServer(front(app, options))', () => {
  const frontApps: Array<[string, () => { listener: ReturnType<typeof nodeFront>; runs: () => number }]> = [
    [
      'Express',
      () => {
        let runs = 0
        const ex = express()
        ex.use((_req, _res, next) => {
          runs++
          next()
        })
        ex.get('/*splat', (req, res) => {
          expressBrisk(req).cacheFor('1m', { tags: ['all'] })
          res.type('html').send(render(req.path, runs))
        })
        return { listener: expressFront(ex, { cache: { logger: false }, logger: false }), runs: () => runs }
      },
    ],
    [
      'Koa',
      () => {
        let runs = 0
        const koa = new Koa()
        koa.silent = true
        koa.use((ctx) => {
          runs++
          koaBrisk(ctx).cacheFor('1m', { tags: ['all'] })
          ctx.type = 'html'
          ctx.body = render(ctx.path, runs)
        })
        return { listener: koaFront(koa, { cache: { logger: false }, logger: false }), runs: () => runs }
      },
    ],
    [
      'node:http',
      () => {
        let runs = 0
        const listener = nodeFront(
          (req, res) => {
            runs++
            nodeBrisk(req).cacheFor('1m', { tags: ['all'] })
            res.setHeader('content-type', 'text/html')
            res.end(render(req.url ?? '', runs))
          },
          { cache: { logger: false }, logger: false },
        )
        return { listener, runs: () => runs }
      },
    ],
  ]

  describe.each(frontApps)('%s', (_name, make) => {
    it('answers hits, 304s and HEAD without running the app, and purges through .cache', async () => {
      const t = make()
      const server = track(createServer(t.listener))
      const miss = await get(server, '/page', { 'accept-encoding': 'gzip' })
      expect(miss.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      const hit = await get(server, '/page', { 'accept-encoding': 'gzip' })
      expect(hit.headers['cache-status']).toMatch(/^brisk; hit; ttl=(59|60)$/)
      expect(decoded(hit)).toBe(decoded(miss))
      const notModified = await get(server, '/page', {
        'accept-encoding': 'gzip',
        'if-none-match': hit.headers.etag as string,
      })
      expect(notModified.status).toBe(304)
      const head = await get(server, '/page', { 'accept-encoding': 'gzip' }, 'HEAD')
      expect(head.status).toBe(200)
      expect(head.headers['content-length']).toBe(hit.headers['content-length'])
      expect(head.headers['content-encoding']).toBe('gzip')
      expect(t.runs()).toBe(1)
      await t.listener.cache?.purgeTag('all')
      expect((await get(server, '/page')).headers['cache-status']).toBe('brisk; fwd=vary-miss; stored')
      expect(t.runs()).toBe(2)
    })

    it('runs the app once for 200 concurrent misses', async () => {
      const t = make()
      const bodies = await concurrentMisses(await listen(createServer(t.listener)), '/hot')
      expect(new Set(bodies).size).toBe(1)
      expect(t.runs()).toBe(1)
    })
  })
})
