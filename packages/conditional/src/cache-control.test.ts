import request from 'supertest'
import {
  BriskOptionError,
  compose,
  type BriskHeaders,
  type BriskRequest,
  type CacheForHint,
} from '@brisk/core'
import { describe, expect, it } from 'vitest'
import { cacheControl, type CacheControlOptions } from './cache-control.js'
import { conditional } from './conditional.js'
import { parseHttpDate } from './http-date.js'
import { serve, type TestHandler } from './test-server.js'

const BODY = Buffer.from('{"ok":true}')

function respond(type: string, headers: BriskHeaders = {}, status = 200, hint?: CacheForHint): TestHandler {
  return (req: BriskRequest) => {
    if (hint !== undefined) req.hints.cacheFor = hint
    return { status, headers: { 'content-type': type, ...headers }, body: BODY }
  }
}

const policy: CacheControlOptions = {
  rules: [
    { path: '/assets/**', cacheControl: 'immutable' },
    { path: '/api/**', type: 'application/json', cacheControl: 'api' },
    { path: '/account/**', cacheControl: 'private' },
    {
      path: '/news/**',
      cacheControl: { public: true, maxAge: '1m' },
      cdnCacheControl: { maxAge: '1h' },
      surrogateControl: 'max-age=86400',
      expires: true,
    },
    { path: '/legacy', cacheControl: 'no-store', expires: true },
    { type: 'text/html', cacheControl: 'html' },
  ],
}

function app(handler: TestHandler, options: CacheControlOptions = policy) {
  return serve(cacheControl(options), handler)
}

describe('cacheControl(): rules', () => {
  it.each([
    ['/assets/app.3f9a1c.js', 'text/javascript', 'public, max-age=31536000, immutable'],
    ['/api/posts?page=2', 'application/json; charset=utf-8', 'max-age=10, stale-while-revalidate=60'],
    ['/account/settings', 'text/html', 'private, no-store'],
    ['/posts/1', 'text/html; charset=utf-8', 'no-cache'],
  ])('GET %s (%s) gets %s', async (path, type, expected) => {
    const res = await request(app(respond(type))).get(path)
    expect(res.headers['cache-control']).toBe(expected)
  })

  it('sets nothing when no rule matches', async () => {
    const res = await request(app(respond('application/pdf'))).get('/report.pdf')
    expect(res.headers['cache-control']).toBeUndefined()
  })

  it('sets CDN-Cache-Control and Surrogate-Control where a rule asks', async () => {
    const res = await request(app(respond('text/html'))).get('/news/today')
    expect(res.headers['cache-control']).toBe('public, max-age=60')
    expect(res.headers['cdn-cache-control']).toBe('max-age=3600')
    expect(res.headers['surrogate-control']).toBe('max-age=86400')
  })

  it('sets Expires max-age ahead only where a rule asks', async () => {
    const before = Math.floor(Date.now() / 1000) * 1000
    const res = await request(app(respond('text/html'))).get('/news/today')
    const expires = parseHttpDate(res.headers.expires)!
    expect(expires).toBeGreaterThanOrEqual(before + 60_000)
    expect(expires).toBeLessThanOrEqual(Date.now() + 60_000)
    const page = await request(app(respond('text/html'))).get('/posts/1')
    expect(page.headers.expires).toBeUndefined()
  })

  it('sets an already-past Expires for a no-store rule that asks for Expires', async () => {
    const res = await request(app(respond('text/html'))).get('/legacy')
    expect(res.headers.expires).toBe('Thu, 01 Jan 1970 00:00:00 GMT')
  })

  it('keeps the Cache-Control the app set itself', async () => {
    const res = await request(app(respond('text/html', { 'cache-control': 'max-age=5' }))).get('/posts/1')
    expect(res.headers['cache-control']).toBe('max-age=5')
  })

  it('replaces the app Cache-Control with override: true', async () => {
    const res = await request(
      app(respond('text/html', { 'cache-control': 'max-age=5' }), { ...policy, override: true }),
    ).get('/posts/1')
    expect(res.headers['cache-control']).toBe('no-cache')
  })

  it('lets one rule override while the others keep the app value', async () => {
    const options: CacheControlOptions = {
      rules: [
        { path: '/forced', cacheControl: 'private', override: true },
        { path: '/**', cacheControl: 'html' },
      ],
    }
    const forced = await request(app(respond('text/html', { 'cache-control': 'public' }), options)).get(
      '/forced',
    )
    const kept = await request(app(respond('text/html', { 'cache-control': 'public' }), options)).get(
      '/other',
    )
    expect(forced.headers['cache-control']).toBe('private, no-store')
    expect(kept.headers['cache-control']).toBe('public')
  })

  it.each([[404], [500], [301]])('leaves a %s alone', async (status) => {
    const res = await request(app(respond('text/html', {}, status))).get('/assets/app.js')
    expect(res.headers['cache-control']).toBeUndefined()
  })

  it('applies path rules to a 304', async () => {
    const res = await request(app(() => ({ status: 304, headers: { etag: '"x"' }, body: null }))).get(
      '/assets/a.js',
    )
    expect(res.status).toBe(304)
    expect(res.headers['cache-control']).toBe('public, max-age=31536000, immutable')
  })

  it('makes a shared policy private on a response that sets a cookie, without CDN fields', async () => {
    const res = await request(app(respond('text/html', { 'set-cookie': ['sid=1; HttpOnly'] }))).get(
      '/news/today',
    )
    expect(res.headers['cache-control']).toBe('private, max-age=60')
    expect(res.headers['cdn-cache-control']).toBeUndefined()
    expect(res.headers['surrogate-control']).toBeUndefined()
  })

  it('keeps a private policy as it is on a response that sets a cookie', async () => {
    const res = await request(app(respond('text/html', { 'set-cookie': ['sid=1'] }))).get('/account/x')
    expect(res.headers['cache-control']).toBe('private, no-store')
  })
})

describe('cacheControl(): cacheFor hints', () => {
  it('emits public max-age and stale-while-revalidate from cacheFor("5m", { swr: "1m" })', async () => {
    const hint = { ttl: 300_000, staleWhileRevalidate: 60_000 }
    const res = await request(app(respond('text/html', {}, 200, hint))).get('/posts/1')
    expect(res.headers['cache-control']).toBe('public, max-age=300, stale-while-revalidate=60')
  })

  it('emits private, no-store for a private hint', async () => {
    const res = await request(app(respond('text/html', {}, 200, { ttl: 300_000, private: true }))).get(
      '/posts/1',
    )
    expect(res.headers['cache-control']).toBe('private, no-store')
  })

  it('takes the hint over a matching rule', async () => {
    const res = await request(app(respond('text/javascript', {}, 200, { ttl: 10_000 }))).get('/assets/x.js')
    expect(res.headers['cache-control']).toBe('public, max-age=10')
  })

  it('works with no rules at all', async () => {
    const res = await request(app(respond('text/html', {}, 200, { ttl: 60_000 }), {})).get('/')
    expect(res.headers['cache-control']).toBe('public, max-age=60')
  })

  it('makes a hint private on a response that sets a cookie', async () => {
    const res = await request(app(respond('text/html', { 'set-cookie': ['a=b'] }, 200, { ttl: 60_000 }))).get(
      '/',
    )
    expect(res.headers['cache-control']).toBe('private, max-age=60')
  })

  it('ignores hints with hints: false', async () => {
    const res = await request(
      app(respond('text/html', {}, 200, { ttl: 60_000 }), { ...policy, hints: false }),
    ).get('/p')
    expect(res.headers['cache-control']).toBe('no-cache')
  })

  it('keeps the app Cache-Control over a hint', async () => {
    const res = await request(
      app(respond('text/html', { 'cache-control': 'no-store' }, 200, { ttl: 60_000 })),
    ).get('/')
    expect(res.headers['cache-control']).toBe('no-store')
  })
})

describe('cacheControl() inside conditional()', () => {
  it('puts the policy on the 304 that conditional() makes of the 200', async () => {
    const server = serve(compose(conditional({ logger: false }), cacheControl(policy)), respond('text/html'))
    const first = await request(server).get('/posts/1')
    const second = await request(server).get('/posts/1').set('If-None-Match', first.headers.etag!)
    expect(second.status).toBe(304)
    expect(second.headers['cache-control']).toBe('no-cache')
  })
})

describe('cacheControl(): options', () => {
  it.each([
    [{ override: 'yes' }, /option override: "yes"/],
    [{ hints: 1 }, /option hints: 1/],
    [{ rules: {} }, /option rules: a object\. Expected an array of rules/],
    [
      { rules: [{ path: 'assets/**', cacheControl: 'immutable' }] },
      /option rules\[0\]\.path: "assets\/\*\*"/,
    ],
    [
      { rules: [{ cacheControl: { maxAge: 60 } }] },
      /rules\[0\]\.cacheControl\.maxAge: 60\. Expected whole seconds/,
    ],
  ])('refuses %j at creation', (options, message) => {
    expect(() => cacheControl(options as unknown as CacheControlOptions)).toThrow(BriskOptionError)
    expect(() => cacheControl(options as unknown as CacheControlOptions)).toThrow(message)
  })
})
