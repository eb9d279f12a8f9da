/**
 * Fields that middleware in front of brisk sets for each request (a request id, CORS) belong to
 * that request: the cache neither stores nor replays them, and an answer brisk makes without the
 * app keeps the ones set for the request it answers. Through every adapter, over real sockets.
 */
import { createServer, type Server } from 'node:http'
import { cache, memoryStore } from '@brisk/cache'
import { BriskMetrics, compose, type BriskMiddleware } from '@brisk/core'
import { toExpress } from '@brisk/express'
import { toKoa } from '@brisk/koa'
import { rateLimit } from '@brisk/ratelimit'
import express from 'express'
import Koa from 'koa'
import request from 'supertest'
import { afterEach, describe, expect, it } from 'vitest'
import { closeAll, frameworks, track, type Earlier, type Reply, type Route } from './audit-apps.js'

afterEach(closeAll)

function page(extra: Record<string, string> = {}): Reply {
  return {
    headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'max-age=60', ...extra },
    body: '<p>page</p>',
  }
}

describe.each(frameworks)('fields set before brisk, through %s', (_name, build) => {
  function serve(earlier: Earlier, route: Route, mw?: BriskMiddleware) {
    let calls = 0
    const server = track(
      build(
        mw ?? cache({ logger: false, metrics: new BriskMetrics(), store: memoryStore() }),
        (req) => {
          calls++
          return route(req)
        },
        earlier,
      ),
    )
    return {
      server,
      get calls() {
        return calls
      },
    }
  }

  it("a hit carries the request id set for its own request, not the first request's", async () => {
    let id = 0
    const t = serve(
      (_req, res) => res.setHeader('x-request-id', `req-${++id}`),
      () => page(),
    )
    const first = await request(t.server).get('/page')
    expect(first.headers['x-request-id']).toBe('req-1')
    for (const expected of ['req-2', 'req-3']) {
      const hit = await request(t.server).get('/page')
      expect(hit.headers['cache-status']).toMatch(/; hit/)
      expect(hit.headers['x-request-id']).toBe(expected)
      expect(hit.headers['content-type']).toBe('text/html; charset=utf-8')
      expect(hit.text).toBe('<p>page</p>')
    }
    expect(t.calls).toBe(1)
  })

  it('a field the earlier middleware did not set this time is not on the hit', async () => {
    const t = serve(
      (req, res) => {
        const trace = req.headers['x-trace']
        if (typeof trace === 'string') res.setHeader('x-trace-id', trace)
      },
      () => page(),
    )
    const traced = await request(t.server).get('/page').set('x-trace', 'abc')
    expect(traced.headers['x-trace-id']).toBe('abc')
    const hit = await request(t.server).get('/page')
    expect(hit.headers['cache-status']).toMatch(/; hit/)
    expect(hit.headers['x-trace-id']).toBeUndefined()
  })

  it('a field the app set over the earlier value is the app\u2019s, stored and replayed', async () => {
    const t = serve(
      (_req, res) => res.setHeader('x-frame-options', 'DENY'),
      () => page({ 'x-frame-options': 'SAMEORIGIN' }),
    )
    await request(t.server).get('/page')
    const hit = await request(t.server).get('/page')
    expect(hit.headers['cache-status']).toMatch(/; hit/)
    expect(hit.headers['x-frame-options']).toBe('SAMEORIGIN')
  })

  it('an earlier no-store still keeps the response out of the cache', async () => {
    const t = serve(
      (_req, res) => res.setHeader('cache-control', 'no-store'),
      () => ({ headers: { 'content-type': 'text/plain' }, body: 'fresh' }),
    )
    await request(t.server).get('/page')
    const second = await request(t.server).get('/page')
    expect(second.headers['cache-status']).not.toMatch(/; hit/)
    expect(second.headers['cache-control']).toBe('no-store')
    expect(t.calls).toBe(2)
  })

  it('a 304 from stored validators keeps the earlier fields of its request', async () => {
    let id = 0
    const t = serve(
      (_req, res) => res.setHeader('x-request-id', `req-${++id}`),
      () => page({ etag: '"v1"' }),
    )
    await request(t.server).get('/page')
    const revalidated = await request(t.server).get('/page').set('if-none-match', '"v1"')
    expect(revalidated.status).toBe(304)
    expect(revalidated.headers['x-request-id']).toBe('req-2')
    expect(revalidated.headers.etag).toBe('"v1"')
  })

  it("an answer the cache makes from its entry after the app ran keeps the request's fields", async () => {
    let now = Date.UTC(2026, 0, 1)
    const clock = { now: () => now }
    let id = 0
    const t = serve(
      (_req, res) => res.setHeader('x-request-id', `req-${++id}`),
      (req) =>
        req.headers['if-none-match'] === '"v1"'
          ? { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=10' }, body: '' }
          : page({ etag: '"v1"', 'cache-control': 'max-age=10' }),
      cache({ logger: false, clock, store: memoryStore({ clock }) }),
    )
    // The client's own precondition, answered with a 304 from what was just stored.
    const first = await request(t.server).get('/page').set('if-none-match', '"v1"')
    expect(first.status).toBe(304)
    expect(first.headers['cache-status']).toMatch(/stored/)
    expect(first.headers['x-request-id']).toBe('req-1')
    // Stale now: revalidated with the stored ETag, the app's 304, the stored body.
    now += 11_000
    const revalidated = await request(t.server).get('/page')
    expect(revalidated.status).toBe(200)
    expect(revalidated.headers['cache-status']).toMatch(/fwd-status=304/)
    expect(revalidated.headers['x-request-id']).toBe('req-2')
    expect(revalidated.text).toBe('<p>page</p>')
    expect(t.calls).toBe(2)
  })

  it.each([
    [
      'composed with the cache',
      () => compose(rateLimit({ limit: 1, window: '1m' }), cache({ logger: false, store: memoryStore() })),
    ],
    ['alone (the admission path)', () => rateLimit({ limit: 1, window: '1m' })],
  ])(
    'a limiter %s: its 429 keeps the earlier CORS field, not the earlier caching or representation fields',
    async (_how, limiter) => {
      const t = serve(
        (_req, res) => {
          res.setHeader('access-control-allow-origin', 'https://app.example')
          res.setHeader('cache-control', 'public, max-age=600')
          res.setHeader('cdn-cache-control', 'max-age=600')
          res.setHeader('content-language', 'en')
        },
        () => page(),
        limiter(),
      )
      expect((await request(t.server).get('/a')).status).toBe(200)
      const refused = await request(t.server).get('/b')
      expect(refused.status).toBe(429)
      expect(refused.headers['access-control-allow-origin']).toBe('https://app.example')
      expect(refused.headers['retry-after']).toMatch(/^\d+$/)
      // The refusal's own Cache-Control, not the one meant for the page.
      expect(refused.headers['cache-control']).toBe('no-store')
      expect(refused.headers['cdn-cache-control']).toBeUndefined()
      expect(refused.headers['content-language']).toBeUndefined()
    },
  )
})

/** A miss, then a hit: compressed, and carrying the id set for the hit's own request. */
async function expectGzipHitWithItsOwnId(server: Server): Promise<void> {
  await request(server).get('/page').set('accept-encoding', 'gzip')
  const hit = await request(server).get('/page').set('accept-encoding', 'gzip')
  expect(hit.headers['cache-status']).toMatch(/; hit/)
  expect(hit.headers['content-encoding']).toBe('gzip')
  expect(hit.headers['x-request-id']).toBe('req-2')
}

describe('fields set between two brisk adapters on one request', () => {
  it('Express: compress() outside, a request-id middleware, then cache(): every hit has its own id', async () => {
    const { compress } = await import('@brisk/compress')
    let id = 0
    const app = express()
    app.use(toExpress(compress()))
    app.use((_req, res, next) => {
      res.setHeader('x-request-id', `req-${++id}`)
      next()
    })
    app.use(toExpress(cache({ logger: false, store: memoryStore() })))
    app.get('/page', (_req, res) => {
      res.setHeader('cache-control', 'max-age=60')
      res.type('html').send('<p>page</p>'.repeat(200))
    })
    await expectGzipHitWithItsOwnId(track(createServer(app)))
  })

  it('Koa: compress() outside, a request-id middleware, then cache(): every hit has its own id', async () => {
    const { compress } = await import('@brisk/compress')
    let id = 0
    const app = new Koa()
    app.silent = true
    app.use(toKoa(compress()))
    app.use(async (ctx, next) => {
      ctx.set('x-request-id', `req-${++id}`)
      await next()
    })
    app.use(toKoa(cache({ logger: false, store: memoryStore() })))
    app.use((ctx) => {
      ctx.set('cache-control', 'max-age=60')
      ctx.type = 'html'
      ctx.body = '<p>page</p>'.repeat(200)
    })
    await expectGzipHitWithItsOwnId(track(createServer(app.callback())))
  })
})
