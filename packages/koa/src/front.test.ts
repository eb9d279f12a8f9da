import { createRequire } from 'node:module'
import { createServer } from 'node:http'
import { BriskMetrics } from '@brisk/core'
import Koa from 'koa'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { brisk } from './request-context.js'
import { front, type KoaFrontOptions } from './front.js'

const Koa2 = createRequire(import.meta.url)('koa2') as typeof Koa

describe.each([
  ['Koa 2', Koa2],
  ['Koa 3', Koa],
])('front on %s', (_name, KoaApp) => {
  /** An app that counts how often Koa itself ran (its first middleware). */
  function setup(options: KoaFrontOptions = {}, configure?: (app: Koa) => void) {
    const runs = { koa: 0 }
    const app = new KoaApp()
    configure?.(app)
    const listener = front(app, {
      logger: false,
      metrics: new BriskMetrics(),
      cache: { ttl: '30s' },
      ...options,
    })
    // Middleware added after front() still counts: the callback is built at the first request.
    app.use(async (ctx, next) => {
      runs.koa++
      await next()
    })
    app.use((ctx) => {
      if (ctx.path === '/private') {
        ctx.set('cache-control', 'private, max-age=60')
        ctx.body = 'mine'
      } else if (ctx.path === '/cookie') {
        ctx.cookies.set('session', 'secret')
        ctx.body = 'with cookie'
      } else if (ctx.path === '/declared') {
        brisk(ctx).cacheFor('1m', { tags: ['declared'] })
        ctx.body = 'declared'
      } else {
        ctx.set('x-request-id', `app-${runs.koa}`)
        ctx.type = 'html'
        ctx.body = `<p>${ctx.url} ${'x'.repeat(2000)}</p>`
      }
    })
    return { server: createServer(listener), runs, listener }
  }

  it('answers a fresh hit without entering Koa', async () => {
    const { server, runs } = setup()
    const first = await request(server).get('/page')
    const hit = await request(server).get('/page')
    expect(hit.text).toBe(first.text)
    expect(hit.headers['cache-status']).toMatch(/hit/)
    expect(runs.koa).toBe(1)
  })

  it('answers 304 from stored validators and HEAD from the GET entry without entering Koa', async () => {
    const { server, runs } = setup()
    const first = await request(server).get('/page')
    await request(server)
      .get('/page')
      .set('if-none-match', first.headers.etag as string)
      .expect(304)
    const head = await request(server).head('/page').set('accept-encoding', 'gzip, deflate')
    expect(head.headers['content-length']).toBe(first.headers['content-length'])
    expect(runs.koa).toBe(1)
  })

  it('keys the limiter on the client address app.proxy gives', async () => {
    const trusted = setup({ rateLimit: { limit: 1, window: '1m' } }, (app) => {
      app.proxy = true
    })
    await request(trusted.server).get('/a').set('x-forwarded-for', '203.0.113.1').expect(200)
    await request(trusted.server).get('/a').set('x-forwarded-for', '203.0.113.2').expect(200)
    const untrusted = setup({ rateLimit: { limit: 1, window: '1m' } })
    await request(untrusted.server).get('/a').set('x-forwarded-for', '203.0.113.1').expect(200)
    await request(untrusted.server).get('/a').set('x-forwarded-for', '203.0.113.2').expect(429)
    expect(untrusted.runs.koa).toBe(1)
  })

  it('honours app.proxyIpHeader and app.maxIpsCount', async () => {
    const { server } = setup({ rateLimit: { limit: 1, window: '1m' } }, (app) => {
      app.proxy = true
      app.proxyIpHeader = 'X-Real-Client'
      app.maxIpsCount = 1
    })
    await request(server).get('/a').set('x-real-client', '198.51.100.9, 203.0.113.1').expect(200)
    await request(server).get('/a').set('x-real-client', '198.51.100.9, 203.0.113.2').expect(200)
    await request(server).get('/a').set('x-real-client', '198.51.100.8, 203.0.113.2').expect(429)
  })

  it('stores what the app declared with brisk(ctx).cacheFor and purges it by tag through .cache', async () => {
    const { server, runs, listener } = setup({ cache: true })
    await request(server).get('/declared')
    expect((await request(server).get('/declared')).headers['cache-status']).toMatch(/hit/)
    expect(await listener.cache?.purgeTag('declared')).toBe(1)
    await request(server).get('/declared')
    expect(runs.koa).toBe(2)
  })

  it('never replays a private response or a Set-Cookie response', async () => {
    const { server, runs } = setup()
    for (const path of ['/private', '/cookie']) {
      await request(server).get(path)
      expect((await request(server).get(path)).headers['cache-status']).not.toMatch(/hit/)
    }
    expect(runs.koa).toBe(4)
  })

  it('never replays a declared per-request header; onHit gives hits their own', async () => {
    let hits = 0
    const { server } = setup({
      perRequestHeaders: ['x-request-id'],
      onHit: (_req, headers) => {
        headers['x-request-id'] = `hit-${++hits}`
      },
    })
    expect((await request(server).get('/page')).headers['x-request-id']).toBe('app-1')
    expect((await request(server).get('/page')).headers['x-request-id']).toBe('hit-1')
  })

  it('refuses a non-app and options that front mode takes from the app', () => {
    expect(() => front({} as never)).toThrow(/app/)
    expect(() => front(new KoaApp(), { clientAddress: () => 'x' } as never)).toThrow(/clientAddress/)
  })
})
