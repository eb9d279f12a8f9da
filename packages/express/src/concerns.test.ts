import { createRequire } from 'node:module'
import { BriskMetrics } from '@brisk/core'
import express from 'express'
import request from 'supertest'
import { describe, expect, it } from 'vitest'
import { cache, cacheControl, compress, conditional, rateLimit, stack } from './concerns.js'

const express4 = createRequire(import.meta.url)('express4') as typeof express

/** A page rendered per request, long enough to be worth compressing. */
const page = (path: string): string => `<title>${path}</title>` + '<p>brisk</p>\n'.repeat(200)

describe.each([
  ['Express 4', express4],
  ['Express 5', express],
])('concern wrappers on %s', (_name, makeApp) => {
  const fallbackApp = (middleware: express.RequestHandler, counter = { calls: 0 }) => {
    const app = makeApp()
    app.use(middleware)
    app.use((req, res) => {
      counter.calls++
      res.set('cache-tag', 'page').type('html').send(page(req.path))
    })
    return app
  }

  it('stack() serves the second request from the cache and keeps the purge API on .cache', async () => {
    const counter = { calls: 0 }
    const middleware = stack({ cache: { ttl: '30s' }, logger: false, metrics: new BriskMetrics() })
    const app = fallbackApp(middleware, counter)
    await request(app).get('/a').expect(200)
    const hit = await request(app).get('/a')
    expect(hit.headers['cache-status']).toMatch(/hit/)
    expect(counter.calls).toBe(1)
    expect(await middleware.cache?.purgeTag('page')).toBe(1)
    await request(app).get('/a').expect(200)
    expect(counter.calls).toBe(2)
  })

  it('cache() alone stores, and its purge methods work detached from the middleware', async () => {
    const counter = { calls: 0 }
    const middleware = cache({ ttl: '30s', logger: false, metrics: new BriskMetrics() })
    const app = fallbackApp(middleware, counter)
    await request(app).get('/b')
    await request(app).get('/b')
    expect(counter.calls).toBe(1)
    const { purgeUrl } = middleware
    await purgeUrl('/b')
    await request(app).get('/b')
    expect(counter.calls).toBe(2)
  })

  it('compress() gzips a page the client accepts gzip for', async () => {
    const res = await request(fallbackApp(compress())).get('/').set('accept-encoding', 'gzip')
    expect(res.headers['content-encoding']).toBe('gzip')
    expect(res.text).toBe(page('/'))
  })

  it('conditional() answers 304 to a matching If-None-Match', async () => {
    const app = fallbackApp(conditional())
    const first = await request(app).get('/')
    const etag = first.headers.etag as string
    expect(etag).toBeTruthy()
    await request(app).get('/').set('if-none-match', etag).expect(304)
  })

  it('cacheControl() applies its policy to the app response', async () => {
    const app = fallbackApp(cacheControl({ rules: [{ path: '/**', cacheControl: 'no-store' }] }))
    const res = await request(app).get('/')
    expect(res.headers['cache-control']).toContain('no-store')
  })

  it('rateLimit() refuses past the limit and reset() forgets the client', async () => {
    const middleware = rateLimit({ limit: 1, window: '1m', metrics: new BriskMetrics() })
    const app = fallbackApp(middleware)
    await request(app).get('/').expect(200)
    await request(app).get('/').expect(429)
    await middleware.reset('::ffff:127.0.0.1')
    await middleware.reset('127.0.0.1')
    await request(app).get('/').expect(200)
  })

  it('refuses bad options at creation', () => {
    expect(() => stack({ cach: true } as never)).toThrow(/cach/)
    expect(() => cache({ ttl: 'soon' })).toThrow(/ttl/)
    expect(() => compress({}, { bufferLimit: 'lots' })).toThrow(/bufferLimit/)
  })
})
