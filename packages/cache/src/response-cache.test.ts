import { Readable } from 'node:stream'
import { text } from 'node:stream/consumers'
import {
  BackendUnavailableError,
  BriskMetrics,
  BriskOptionError,
  type BriskHints,
  type BriskNext,
  type BriskRequest,
  type BriskResponse,
} from '@brisk/core'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { CacheOptions } from './options.js'
import { cache, type ResponseCache } from './response-cache.js'
import type { CacheStore } from './store.js'
import { memoryStore } from './stores/index.js'

type Handler = (req: BriskRequest) => BriskResponse | Promise<BriskResponse>

function fakeClock(start = Date.UTC(2026, 0, 1)) {
  let now = start
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms
    },
  }
}

function request(
  url = '/page',
  headers: Record<string, string> = {},
  method = 'GET',
  hints: BriskHints = {},
): BriskRequest {
  return { method, url, headers, clientAddress: '127.0.0.1', hints }
}

function ok(body: string, headers: Record<string, string | string[]> = {}, status = 200): BriskResponse {
  return { status, headers: { 'content-type': 'text/plain', ...headers }, body: Buffer.from(body) }
}

/**
 * A cache with a fake clock shared by its memory store, and an "app" counting its calls. The app
 * receives the request the cache passes to `next` (the derived conditional one when revalidating).
 */
function setup(options: CacheOptions = {}, handler?: Handler) {
  const clock = fakeClock()
  const metrics = new BriskMetrics()
  const store = options.store ?? memoryStore({ clock })
  const mw = cache({ logger: false, metrics, clock, ...options, store })
  const seen: BriskRequest[] = []
  let current: Handler = handler ?? (() => ok('hello', { 'cache-control': 'max-age=60' }))
  const run = async (req: BriskRequest = request()): Promise<BriskResponse> => {
    const next = ((derived?: BriskRequest) => {
      const target = derived ?? req
      seen.push(target)
      return Promise.resolve().then(() => current(target))
    }) satisfies BriskNext
    return mw(req, next)
  }
  return {
    mw,
    clock,
    metrics,
    store,
    run,
    seen,
    get calls() {
      return seen.length
    },
    setHandler(next: Handler) {
      current = next
    },
  }
}

async function bodyText(res: BriskResponse): Promise<string> {
  if (res.body === null) return ''
  if (Buffer.isBuffer(res.body)) return res.body.toString()
  return text(res.body)
}

describe('cache()', () => {
  describe('storing and serving', () => {
    it('serves the second request from the cache without calling the app', async () => {
      const t = setup()
      const first = await t.run()
      expect(first.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      const second = await t.run()
      expect(t.calls).toBe(1)
      expect(second.status).toBe(200)
      expect(await bodyText(second)).toBe('hello')
      expect(second.headers['cache-status']).toBe('brisk; hit; ttl=60')
      expect(second.headers['content-type']).toBe('text/plain')
      expect(second.headers['content-length']).toBe('5')
      expect(t.metrics.get('cache.hit')).toBe(1)
      expect(t.metrics.get('cache.miss')).toBe(1)
      expect(t.metrics.get('cache.store')).toBe(1)
    })

    it('reports the age of a hit, including the Age the response arrived with', async () => {
      const t = setup({}, () => ok('x', { 'cache-control': 'max-age=60', age: '10' }))
      await t.run()
      t.clock.advance(5_000)
      const hit = await t.run()
      expect(hit.headers.age).toBe('15')
      expect(hit.headers['cache-status']).toBe('brisk; hit; ttl=45')
    })

    it('says Age on answers the app just made too: 0, or the Age an upstream cache gave', async () => {
      const t = setup()
      expect((await t.run()).headers.age).toBe('0')
      expect((await t.run(request('/page', { 'cache-control': 'no-store' }))).headers.age).toBe('0')
      expect((await t.run(request('/other', { authorization: 'Basic x' }))).headers.age).toBe('0')
      expect((await t.run(request('/page', {}, 'POST'))).headers.age).toBeUndefined()
      t.setHandler(() => ok('aged', { 'cache-control': 'max-age=60', age: '7' }))
      expect((await t.run(request('/aged'))).headers.age).toBe('7')
    })

    it('answers HEAD from the stored GET response, without a body', async () => {
      const t = setup()
      await t.run()
      const head = await t.run(request('/page', {}, 'HEAD'))
      expect(t.calls).toBe(1)
      expect(head.body).toBeNull()
      expect(head.headers['content-length']).toBe('5')
      expect(head.headers['cache-status']).toBe('brisk; hit; ttl=60')
    })

    it('passes a HEAD miss to the app and stores nothing', async () => {
      const t = setup({}, () => ({ status: 200, headers: { 'cache-control': 'max-age=60' }, body: null }))
      await t.run(request('/page', {}, 'HEAD'))
      await t.run(request('/page', {}, 'HEAD'))
      expect(t.calls).toBe(2)
    })

    it('stores nothing without explicit freshness when no ttl is set', async () => {
      const t = setup({}, () => ok('x', { etag: '"a"' }))
      const first = await t.run()
      await t.run()
      expect(t.calls).toBe(2)
      expect(first.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=no-freshness')
    })

    it('uses ttl for responses without explicit freshness', async () => {
      const t = setup({ ttl: '30s' }, () => ok('x'))
      await t.run()
      t.clock.advance(29_000)
      await t.run()
      expect(t.calls).toBe(1)
      t.clock.advance(2_000)
      await t.run()
      expect(t.calls).toBe(2)
    })

    it('goes back to the app once a response without validators is stale', async () => {
      const t = setup({ etag: false })
      await t.run()
      t.clock.advance(60_001)
      const res = await t.run()
      expect(t.calls).toBe(2)
      expect(res.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
    })

    it('treats an entry past its store lifetime as a miss, whatever the store still holds', async () => {
      // A store on its own clock (lru-cache's, Redis's) that has not dropped the entry yet.
      const t = setup({ store: memoryStore() })
      await t.run()
      // Fresh for 60 s, then kept a minute more to be revalidated with its ETag.
      t.clock.advance(120_001)
      expect((await t.run()).headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      expect(t.calls).toBe(2)
    })

    it('keeps a stale response with a validator, to revalidate it', async () => {
      const t = setup({}, () => ok('x', { 'cache-control': 'max-age=60', etag: '"a"' }))
      await t.run()
      t.clock.advance(90_000)
      const res = await t.run()
      expect(res.headers['cache-status']).toBe('brisk; fwd=stale; stored')
    })

    it('gives a stored 200 without validators an ETag once, so a hit answers If-None-Match by itself', async () => {
      const t = setup()
      const first = await t.run()
      const tag = first.headers.etag as string
      expect(tag).toMatch(/^"[0-9a-f]+-[A-Za-z0-9+/]+"$/)
      const hit = await t.run(request('/page', { 'if-none-match': tag }))
      expect(hit.status).toBe(304)
      expect(hit.headers.etag).toBe(tag)
      expect(t.calls).toBe(1)
    })

    it("keeps the app's own ETag and generates none when told not to", async () => {
      const own = setup({}, () => ok('x', { 'cache-control': 'max-age=60', etag: '"own"' }))
      expect((await own.run()).headers.etag).toBe('"own"')
      expect((await own.run()).headers.etag).toBe('"own"')
      const none = setup({ etag: false })
      await none.run()
      expect((await none.run()).headers.etag).toBeUndefined()
    })

    it('does not store a page built while the request carried an unkeyed header it could reflect', async () => {
      const t = setup({}, (req) =>
        ok(`<a href="https://${String(req.headers['x-forwarded-host'] ?? 'example.com')}/">home</a>`, {
          'cache-control': 'public, max-age=60',
        }),
      )
      const poisoned = await t.run(request('/page', { 'x-forwarded-host': 'evil.example' }))
      expect(poisoned.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=unkeyed-x-forwarded-host')
      const plain = await t.run()
      expect(String(plain.body)).toContain('example.com')
      expect(plain.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
    })

    it('stores such a page when the response varies on that header, or when the list is cleared', async () => {
      const varying = setup({}, () => ok('x', { 'cache-control': 'max-age=60', vary: 'X-Forwarded-Host' }))
      await varying.run(request('/page', { 'x-forwarded-host': 'a.example' }))
      expect(
        (await varying.run(request('/page', { 'x-forwarded-host': 'a.example' }))).headers['cache-status'],
      ).toMatch(/^brisk; hit/)
      const cleared = setup({ unkeyedHeaders: [] })
      await cleared.run(request('/page', { 'x-forwarded-host': 'proxy.example' }))
      expect((await cleared.run()).headers['cache-status']).toMatch(/^brisk; hit/)
    })

    it('keeps the status and reason phrase of a stored 404', async () => {
      const t = setup({ ttl: '1m' }, () => ({ ...ok('gone', {}, 404), statusMessage: 'Nope' }))
      await t.run()
      const hit = await t.run()
      expect(hit.status).toBe(404)
      expect(hit.statusMessage).toBe('Nope')
      expect(t.calls).toBe(1)
    })

    it('stores a streamed body once it has ended, while passing it on', async () => {
      const t = setup({}, () => ({
        status: 200,
        headers: { 'cache-control': 'max-age=60' },
        body: Readable.from([Buffer.from('str'), Buffer.from('eam')]),
      }))
      const first = await t.run()
      expect(first.headers['cache-status']).toBe('brisk; fwd=uri-miss')
      expect(await bodyText(first)).toBe('stream')
      await new Promise((resolve) => setImmediate(resolve))
      const hit = await t.run()
      expect(t.calls).toBe(1)
      expect(await bodyText(hit)).toBe('stream')
    })

    it('passes a body larger than maxBodySize through without storing it', async () => {
      const t = setup({ maxBodySize: 4 }, () => ok('too long', { 'cache-control': 'max-age=60' }))
      const first = await t.run()
      expect(first.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=too-large')
      expect(await bodyText(first)).toBe('too long')
      await t.run()
      expect(t.calls).toBe(2)
    })

    it('passes a streamed body larger than maxBodySize through whole, and stores nothing', async () => {
      const chunks = Array.from({ length: 10 }, () => Buffer.from('0123456789'))
      const t = setup({ maxBodySize: 32 }, () => ({
        status: 200,
        headers: { 'cache-control': 'max-age=60' },
        body: Readable.from(chunks),
      }))
      expect((await bodyText(await t.run())).length).toBe(100)
      await t.run().then(bodyText)
      expect(t.calls).toBe(2)
    })

    it('hides the tags headers from clients even when it bypasses', async () => {
      const t = setup({}, () =>
        ok('x', { 'cache-control': 'max-age=60', 'cache-tag': 'a', 'surrogate-key': 'b' }),
      )
      const res = await t.run(request('/page', { authorization: 'Basic x' }))
      expect(res.headers['cache-tag']).toBeUndefined()
      expect(res.headers['surrogate-key']).toBeUndefined()
    })

    it.each(['POST', 'DELETE', 'PROPFIND'])(
      'hides the tags headers from the answer to %s',
      async (method) => {
        const t = setup({}, () => ok('x', { 'cache-tag': 'a', 'surrogate-key': 'b' }, 201))
        const res = await t.run(request('/page', {}, method))
        expect(res.headers['cache-tag']).toBeUndefined()
        expect(res.headers['surrogate-key']).toBeUndefined()
        expect(res.headers['cache-status']).toBeUndefined()
      },
    )

    it('does not announce a store for HEAD', async () => {
      const t = setup()
      const req = request('/page', {}, 'HEAD')
      await t.run(req)
      expect(req.hints.willStore).toBeUndefined()
    })

    it('tells the compressor that the response is about to be stored', async () => {
      const t = setup()
      const req = request()
      await t.run(req)
      expect(req.hints.willStore).toBe(true)
    })

    it('keys by sorted query parameters and ignores denied ones', async () => {
      const t = setup({ query: { deny: ['utm_source'] } })
      await t.run(request('/s?b=2&a=1'))
      await t.run(request('/s?a=1&b=2&utm_source=mail'))
      expect(t.calls).toBe(1)
      await t.run(request('/s?a=1&b=3'))
      expect(t.calls).toBe(2)
    })

    it('uses a custom key function, and bypasses when it returns undefined', async () => {
      const t = setup({
        key: (req) => (req.url.startsWith('/nocache') ? undefined : `k:${req.url.split('?')[0]}`),
      })
      await t.run(request('/a?x=1'))
      await t.run(request('/a?x=2'))
      expect(t.calls).toBe(1)
      const res = await t.run(request('/nocache'))
      expect(res.headers['cache-status']).toBe('brisk; fwd=bypass; detail=key')
    })

    it('answers HEAD from the GET entry under a key function that includes the method', async () => {
      const t = setup({ key: (req) => `${req.method} ${req.url}` })
      await t.run()
      const head = await t.run(request('/page', {}, 'HEAD'))
      expect(head.headers['cache-status']).toMatch(/^brisk; hit/)
      expect(t.calls).toBe(1)
      await t.mw.purgeKey('GET /page')
      expect((await t.run(request('/page', {}, 'HEAD'))).headers['cache-status']).toBe('brisk; fwd=uri-miss')
    })

    it('adds its Cache-Status after one an inner cache set', async () => {
      const t = setup({}, () => ok('x', { 'cache-control': 'max-age=60', 'cache-status': 'inner; hit' }))
      const res = await t.run()
      expect(res.headers['cache-status']).toBe('inner; hit, brisk; fwd=uri-miss; stored')
      expect((await t.run()).headers['cache-status']).toBe('brisk; hit; ttl=60')
    })
  })

  describe('what is never stored or shared', () => {
    const refused: Array<[what: string, headers: Record<string, string | string[]>, detail: string]> = [
      ['Set-Cookie', { 'cache-control': 'public, max-age=60', 'set-cookie': ['sid=1'] }, 'set-cookie'],
      ['Cache-Control: private', { 'cache-control': 'private, max-age=60' }, 'private'],
      ['Cache-Control: no-store', { 'cache-control': 'no-store, max-age=60' }, 'no-store'],
      ['Cache-Control: no-cache', { 'cache-control': 'no-cache, max-age=60' }, 'no-cache'],
      ['Vary: *', { 'cache-control': 'max-age=60', vary: '*' }, 'vary'],
    ]
    it.each(refused)('never stores a response with %s', async (_what, headers, detail) => {
      const t = setup({ ttl: '1m' }, () => ok('x', headers))
      const res = await t.run()
      await t.run()
      expect(t.calls).toBe(2)
      expect(res.headers['cache-status']).toBe(`brisk; fwd=uri-miss; detail=${detail}`)
    })

    it('never answers a request with Authorization from the cache', async () => {
      const t = setup()
      await t.run()
      const res = await t.run(request('/page', { authorization: 'Bearer x' }))
      expect(t.calls).toBe(2)
      expect(res.headers['cache-status']).toBe('brisk; fwd=bypass; detail=authorization')
      expect(t.metrics.get('cache.bypass')).toBe(1)
    })

    it('never answers a request with a session cookie from the cache, but ignores other cookies', async () => {
      const t = setup({ sessionCookies: ['sid'] })
      await t.run()
      const session = await t.run(request('/page', { cookie: 'theme=dark; sid=abc' }))
      expect(session.headers['cache-status']).toBe('brisk; fwd=bypass; detail=session-cookie')
      const anonymous = await t.run(request('/page', { cookie: 'theme=dark' }))
      expect(anonymous.headers['cache-status']).toBe('brisk; hit; ttl=60')
      expect(t.calls).toBe(2)
    })

    it('never shows one user the private page of another', async () => {
      const t = setup({ sessionCookies: ['sid'], ttl: '1m' }, (req) =>
        ok(`page of ${String(req.headers.cookie)}`, { 'cache-control': 'private' }),
      )
      const alice = await t.run(request('/me', { cookie: 'sid=alice' }))
      const bob = await t.run(request('/me', { cookie: 'sid=bob' }))
      expect(await bodyText(alice)).toBe('page of sid=alice')
      expect(await bodyText(bob)).toBe('page of sid=bob')
    })

    it('shares public responses with authenticated requests when shareAuthenticated is on', async () => {
      const t = setup({ shareAuthenticated: true }, () => ok('x', { 'cache-control': 'public, max-age=60' }))
      await t.run(request('/page', { authorization: 'Bearer a' }))
      const res = await t.run(request('/page', { authorization: 'Bearer b' }))
      expect(t.calls).toBe(1)
      expect(res.headers['cache-status']).toBe('brisk; hit; ttl=60')
    })

    it('does not answer an authenticated request with a response that was not public', async () => {
      const t = setup({ shareAuthenticated: true })
      await t.run()
      const res = await t.run(request('/page', { authorization: 'Bearer a' }))
      expect(t.calls).toBe(2)
      expect(res.headers['cache-status']).toBe('brisk; fwd=request; detail=authorization')
    })
  })

  describe('request directives', () => {
    it('forwards a request with no-cache and stores the new response', async () => {
      const t = setup()
      await t.run()
      const res = await t.run(request('/page', { 'cache-control': 'no-cache' }))
      expect(t.calls).toBe(2)
      expect(res.headers['cache-status']).toBe('brisk; fwd=request; stored')
    })

    it('forwards a request whose max-age is below the stored age', async () => {
      const t = setup()
      await t.run()
      t.clock.advance(5_000)
      await t.run(request('/page', { 'cache-control': 'max-age=10' }))
      expect(t.calls).toBe(1)
      await t.run(request('/page', { 'cache-control': 'max-age=0' }))
      expect(t.calls).toBe(2)
    })

    it('bypasses the cache for a request with no-store', async () => {
      const t = setup()
      const res = await t.run(request('/page', { 'cache-control': 'no-store' }))
      await t.run()
      expect(t.calls).toBe(2)
      expect(res.headers['cache-status']).toBe('brisk; fwd=bypass; detail=no-store')
    })

    it('answers only-if-cached with 504 on a miss and from the cache on a hit', async () => {
      const t = setup()
      const miss = await t.run(request('/page', { 'cache-control': 'only-if-cached' }))
      expect(miss.status).toBe(504)
      expect(miss.headers['cache-status']).toBe('brisk; detail=only-if-cached')
      expect(t.calls).toBe(0)
      await t.run()
      const hit = await t.run(request('/page', { 'cache-control': 'only-if-cached' }))
      expect(hit.status).toBe(200)
    })

    it('serves a stale response to a request that accepts it with max-stale', async () => {
      const t = setup({}, () => ok('x', { 'cache-control': 'max-age=60', etag: '"a"' }))
      await t.run()
      t.clock.advance(70_000)
      const res = await t.run(request('/page', { 'cache-control': 'max-stale=20' }))
      expect(t.calls).toBe(1)
      expect(res.headers['cache-status']).toBe('brisk; hit; ttl=-10; detail=max-stale')
    })

    it('answers a conditional request for a hit with 304 from the stored ETag', async () => {
      const t = setup({}, () => ok('x', { 'cache-control': 'max-age=60', etag: '"v1"' }))
      await t.run()
      const res = await t.run(request('/page', { 'if-none-match': '"v1"' }))
      expect(res.status).toBe(304)
      expect(res.body).toBeNull()
      expect(res.headers.etag).toBe('"v1"')
      expect(res.headers['cache-control']).toBe('max-age=60')
      expect(res.headers['content-type']).toBeUndefined()
      const other = await t.run(request('/page', { 'if-none-match': '"v0"' }))
      expect(other.status).toBe(200)
      expect(t.calls).toBe(1)
    })
  })

  /**
   * The age and request-directive cases of http-cache-semantics (test/okhttptest.js), kept as
   * brisk's own: a hit's age and freshness are computed here, not by that library. brisk never
   * stores a response that arrives already stale, so where the original sends `Age` beyond the
   * lifetime the clock moves instead.
   */
  describe('age and request directive cases kept from http-cache-semantics', () => {
    const aged = (cc: string, age?: number) => () =>
      ok('x', { 'cache-control': cc, etag: '"a"', ...(age === undefined ? {} : { age: String(age) }) })

    it('request max age: the Age the response arrived with counts', async () => {
      const t = setup({}, aged('max-age=3600', 60))
      await t.run()
      const withinAge = await t.run(request('/page', { 'cache-control': 'max-age=90' }))
      expect(withinAge.headers.age).toBe('60')
      expect(t.calls).toBe(1)
      await t.run(request('/page', { 'cache-control': 'max-age=30' }))
      expect(t.calls).toBe(2)
    })

    it('request min fresh', async () => {
      const t = setup({}, aged('max-age=60'))
      await t.run()
      await t.run(request('/page', { 'cache-control': 'min-fresh=10' }))
      expect(t.calls).toBe(1)
      await t.run(request('/page', { 'cache-control': 'min-fresh=120' }))
      expect(t.calls).toBe(2)
    })

    it('request max stale', async () => {
      const t = setup({}, aged('max-age=120'))
      await t.run()
      t.clock.advance(240_000)
      for (const cc of ['max-stale=180', 'max-stale']) {
        const res = await t.run(request('/page', { 'cache-control': cc }))
        expect(res.headers['cache-status']).toBe('brisk; hit; ttl=-120; detail=max-stale')
        expect(res.headers.age).toBe('240')
      }
      expect(t.calls).toBe(1)
      await t.run(request('/page', { 'cache-control': 'max-stale=10' }))
      expect(t.calls).toBe(2)
    })

    it('request max stale not honoured with must-revalidate', async () => {
      const t = setup({}, aged('max-age=120, must-revalidate'))
      await t.run()
      for (const cc of ['max-stale=180', 'max-stale']) {
        // Stale by 60 s: within what max-stale accepts, and still kept for revalidation.
        t.clock.advance(180_000)
        const res = await t.run(request('/page', { 'cache-control': cc }))
        expect(res.headers['cache-status']).toMatch(/^brisk; fwd=stale/)
      }
      expect(t.calls).toBe(3)
    })

    it('stale-while-revalidate is not used with must-revalidate', async () => {
      const t = setup({}, aged('max-age=60, stale-while-revalidate=200, must-revalidate'))
      await t.run()
      t.clock.advance(120_000)
      const res = await t.run()
      expect(res.headers['cache-status']).toMatch(/^brisk; fwd=stale/)
      expect(t.calls).toBe(2)
    })

    it('stale-while-revalidate ends with its window', async () => {
      const t = setup({}, aged('max-age=60, stale-while-revalidate=200'))
      await t.run()
      t.clock.advance(260_000)
      const res = await t.run()
      expect(res.headers['cache-status']).toMatch(/^brisk; fwd=stale/)
      expect(t.calls).toBe(2)
    })

    it('max-age wins over a future Expires, and over an expired one', async () => {
      for (const expires of [new Date(Date.UTC(2026, 0, 1) + 3_600_000), new Date(Date.UTC(2016, 4, 7))]) {
        const t = setup({}, () =>
          ok('x', { 'cache-control': 'public, max-age=333', expires: expires.toUTCString() }),
        )
        await t.run()
        expect((await t.run()).headers['cache-status']).toBe('brisk; hit; ttl=333')
      }
    })

    it('s-maxage wins over an expired Expires', async () => {
      const t = setup({}, () =>
        ok('x', { 'cache-control': 'public, s-maxage=9999', expires: 'Sat, 07 May 2016 15:35:18 GMT' }),
      )
      await t.run()
      expect((await t.run()).headers['cache-status']).toBe('brisk; hit; ttl=9999')
    })
  })

  describe('Vary', () => {
    it('keeps one entry per variant of the fields the response varies on', async () => {
      const t = setup({}, (req) =>
        ok(`lang ${String(req.headers['accept-language'])}`, {
          'cache-control': 'max-age=60',
          vary: 'Accept-Language',
        }),
      )
      const en = await t.run(request('/page', { 'accept-language': 'en' }))
      const fr = await t.run(request('/page', { 'accept-language': 'fr' }))
      expect(fr.headers['cache-status']).toBe('brisk; fwd=vary-miss; stored')
      const en2 = await t.run(request('/page', { 'accept-language': 'en' }))
      const fr2 = await t.run(request('/page', { 'accept-language': 'fr' }))
      expect(t.calls).toBe(2)
      expect(await bodyText(en)).toBe('lang en')
      expect(await bodyText(en2)).toBe('lang en')
      expect(await bodyText(fr2)).toBe('lang fr')
    })

    it('files Accept-Encoding spellings under the negotiated coding, not the raw header', async () => {
      const t = setup({}, (req) => {
        const gzipOnly = String(req.headers['accept-encoding']) === 'gzip'
        return ok(gzipOnly ? 'gzipped' : 'brotli', {
          'cache-control': 'max-age=60',
          vary: 'Accept-Encoding',
          'content-encoding': gzipOnly ? 'gzip' : 'br',
        })
      })
      await t.run(request('/page', { 'accept-encoding': 'gzip, deflate, br, zstd' }))
      const sameBucket = await t.run(request('/page', { 'accept-encoding': 'br, gzip' }))
      expect(sameBucket.headers['cache-status']).toBe('brisk; hit; ttl=60')
      const gzipOnly = await t.run(request('/page', { 'accept-encoding': 'gzip' }))
      expect(await bodyText(gzipOnly)).toBe('gzipped')
      expect(t.calls).toBe(2)
    })

    it('never serves a stored coding the client does not accept', async () => {
      // The compressor chose gzip for a client that also accepts br: the variant is filed under br.
      const t = setup({}, (req) => {
        const accepts = String(req.headers['accept-encoding'] ?? '')
        const coding = accepts.includes('gzip') ? 'gzip' : 'br'
        return ok(coding, {
          'cache-control': 'max-age=60',
          vary: 'Accept-Encoding',
          'content-encoding': coding,
        })
      })
      await t.run(request('/page', { 'accept-encoding': 'gzip, br' }))
      const brOnly = await t.run(request('/page', { 'accept-encoding': 'br' }))
      expect(await bodyText(brOnly)).toBe('br')
      expect(brOnly.headers['content-encoding']).toBe('br')
    })

    it('forgets the variants of a purged URL for good', async () => {
      let version = 1
      const t = setup({}, () => ok(`v${version}`, { 'cache-control': 'max-age=60', vary: 'Accept-Language' }))
      await t.run(request('/page', { 'accept-language': 'en' }))
      await t.run(request('/page', { 'accept-language': 'fr' }))
      await t.mw.purgeUrl('/page')
      version = 2
      await t.run(request('/page', { 'accept-language': 'en' }))
      const fr = await t.run(request('/page', { 'accept-language': 'fr' }))
      expect(await bodyText(fr)).toBe('v2')
    })
  })

  describe('invalidation by unsafe methods', () => {
    it('drops the entry of a URL after a successful POST to it', async () => {
      const t = setup()
      await t.run()
      t.setHandler((req) =>
        req.method === 'POST' ? ok('created', {}, 201) : ok('hello', { 'cache-control': 'max-age=60' }),
      )
      const post = await t.run(request('/page', {}, 'POST'))
      expect(post.headers['cache-status']).toBeUndefined()
      await t.run()
      expect(t.calls).toBe(3)
    })

    it('keeps the entry when the unsafe request failed', async () => {
      const t = setup()
      await t.run()
      t.setHandler((req) =>
        req.method === 'DELETE' ? ok('no', {}, 500) : ok('hello', { 'cache-control': 'max-age=60' }),
      )
      await t.run(request('/page', {}, 'DELETE'))
      await t.run()
      expect(t.calls).toBe(2)
    })

    it('drops the entries named by Location and Content-Location on the same origin', async () => {
      const t = setup()
      await t.run(request('/posts/1', { host: 'example.com' }))
      await t.run(request('/posts/2', { host: 'example.com' }))
      t.setHandler((req) =>
        req.method === 'PUT'
          ? ok(
              'moved',
              { location: 'http://example.com/posts/1', 'content-location': 'http://other.test/posts/2' },
              200,
            )
          : ok('hello', { 'cache-control': 'max-age=60' }),
      )
      await t.run(request('/posts', { host: 'example.com' }, 'PUT'))
      await t.run(request('/posts/1', { host: 'example.com' }))
      await t.run(request('/posts/2', { host: 'example.com' }))
      expect(t.calls).toBe(4)
    })

    it('passes unknown methods through untouched', async () => {
      const t = setup({}, () => ok('x', { 'cache-control': 'max-age=60' }))
      await t.run()
      const res = await t.run(request('/page', {}, 'PROPFIND'))
      expect(res.headers['cache-status']).toBeUndefined()
      await t.run()
      expect(t.calls).toBe(2)
    })
  })

  describe('fields set before the app ran (hints.earlierFields)', () => {
    /** A request whose adapter saw `x-request-id` (and CORS) set on the response before the app ran. */
    const withEarlier = (id: string): BriskRequest =>
      request('/page', {}, 'GET', {
        earlierFields: { 'x-request-id': id, 'access-control-allow-origin': '*' },
      })
    /** The app's response carries them as the adapter's capture sees them, beside its own. */
    const appAnswer = (req: BriskRequest, extra: Record<string, string> = {}): BriskResponse =>
      ok('page', {
        'cache-control': 'max-age=10',
        etag: '"v1"',
        ...(req.hints.earlierFields as Record<string, string>),
        ...extra,
      })

    it('stores the response without them, and still answers the miss with them', async () => {
      const t = setup({}, (req) => appAnswer(req))
      const miss = await t.run(withEarlier('r1'))
      expect(miss.headers['x-request-id']).toBe('r1')
      expect(miss.headers['access-control-allow-origin']).toBe('*')
      const hit = await t.run(request())
      expect(hit.headers['cache-status']).toBe('brisk; hit; ttl=10')
      expect(hit.headers['x-request-id']).toBeUndefined()
      expect(hit.headers['access-control-allow-origin']).toBeUndefined()
      expect(hit.headers.etag).toBe('"v1"')
    })

    it('stores a field the app gave a value of its own', async () => {
      const t = setup({}, (req) => appAnswer(req, { 'access-control-allow-origin': 'https://a.example' }))
      await t.run(withEarlier('r1'))
      const hit = await t.run(request())
      expect(hit.headers['access-control-allow-origin']).toBe('https://a.example')
      expect(hit.headers['x-request-id']).toBeUndefined()
    })

    it("hands requests waiting for the same response the answer without the first request's fields", async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const t = setup({}, async (req) => {
        await gate
        return appAnswer(req)
      })
      const leader = t.run(withEarlier('r1'))
      const waiter = t.run(withEarlier('r2'))
      await new Promise((resolve) => setImmediate(resolve))
      release()
      const [first, second] = await Promise.all([leader, waiter])
      expect(t.calls).toBe(1)
      expect(first.headers['x-request-id']).toBe('r1')
      expect(second.headers['cache-status']).toBe('brisk; fwd=uri-miss; collapsed')
      expect(second.headers['x-request-id']).toBeUndefined()
    })

    it('does not store them from the 304 that revalidated a stale entry', async () => {
      const t = setup({}, (req) => appAnswer(req))
      await t.run(withEarlier('r1'))
      t.clock.advance(11_000)
      t.setHandler(() => ({
        status: 304,
        headers: { etag: '"v1"', 'cache-control': 'max-age=30', 'x-request-id': 'r2' },
        body: null,
      }))
      const revalidated = await t.run(withEarlier('r2'))
      // Answered with the entry: the adapter's writer keeps the request's own fields on it.
      expect(revalidated.headers['cache-status']).toBe('brisk; fwd=stale; fwd-status=304; stored')
      const hit = await t.run(request())
      expect(hit.headers['cache-status']).toBe('brisk; hit; ttl=30')
      expect(hit.headers['x-request-id']).toBeUndefined()
    })
  })

  describe('revalidation and stale responses', () => {
    it('revalidates a stale entry with its ETag and serves the stored body on 304', async () => {
      const t = setup({}, () => ok('body', { 'cache-control': 'max-age=10', etag: '"v1"' }))
      await t.run()
      t.clock.advance(11_000)
      t.setHandler((req) =>
        req.headers['if-none-match'] === '"v1"'
          ? { status: 304, headers: { etag: '"v1"', 'cache-control': 'max-age=30' }, body: null }
          : ok('changed', { 'cache-control': 'max-age=10', etag: '"v2"' }),
      )
      const res = await t.run(request('/page', { 'if-none-match': '"old"' }))
      expect(t.seen[1]?.headers['if-none-match']).toBe('"v1"')
      expect(res.status).toBe(200)
      expect(await bodyText(res)).toBe('body')
      expect(res.headers['cache-status']).toBe('brisk; fwd=stale; fwd-status=304; stored')
      expect(res.headers['cache-control']).toBe('max-age=30')
      expect(t.metrics.get('cache.revalidated')).toBe(1)
      t.clock.advance(20_000)
      expect((await t.run()).headers['cache-status']).toBe('brisk; hit; ttl=10')
      expect(t.calls).toBe(2)
    })

    it('answers the client with 200 even when the adapter applied the validators to its request', async () => {
      const clock = fakeClock()
      const mw = cache({ logger: false, clock, store: memoryStore({ clock }), metrics: new BriskMetrics() })
      const req = request('/page', {})
      const app = (derived?: BriskRequest): Promise<BriskResponse> => {
        // An adapter writing the derived request's fields onto the one header object it has.
        if (derived !== undefined) Object.assign(req.headers as Record<string, unknown>, derived.headers)
        return Promise.resolve(
          req.headers['if-none-match'] === '"v1"'
            ? { status: 304, headers: { etag: '"v1"' }, body: null }
            : ok('body', { 'cache-control': 'max-age=10', etag: '"v1"' }),
        )
      }
      await mw(request('/page'), app as () => Promise<BriskResponse>)
      clock.advance(11_000)
      const res = await mw(req, app as () => Promise<BriskResponse>)
      expect(res.status).toBe(200)
      expect(await bodyText(res)).toBe('body')
    })

    it('sends If-Modified-Since for an entry with only Last-Modified', async () => {
      const lastModified = 'Wed, 01 Jan 2025 00:00:00 GMT'
      const t = setup({}, () => ok('body', { 'cache-control': 'max-age=10', 'last-modified': lastModified }))
      await t.run()
      t.clock.advance(11_000)
      await t.run()
      expect(t.seen[1]?.headers['if-modified-since']).toBe(lastModified)
    })

    it('stores the new response when the app answers a revalidation with 200', async () => {
      const t = setup({}, () => ok('v1', { 'cache-control': 'max-age=10', etag: '"v1"' }))
      await t.run()
      t.clock.advance(11_000)
      t.setHandler(() => ok('v2', { 'cache-control': 'max-age=10', etag: '"v2"' }))
      expect(await bodyText(await t.run())).toBe('v2')
      expect(await bodyText(await t.run())).toBe('v2')
      expect(t.calls).toBe(2)
    })

    it('answers stale at once while one request refreshes the entry (stale-while-revalidate)', async () => {
      const t = setup({}, () => ok('v1', { 'cache-control': 'max-age=10, stale-while-revalidate=30' }))
      await t.run()
      t.clock.advance(15_000)
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      t.setHandler(async () => {
        await gate
        return ok('v2', { 'cache-control': 'max-age=10, stale-while-revalidate=30' })
      })
      const refreshing = t.run()
      await new Promise((resolve) => setImmediate(resolve))
      const stale1 = await t.run()
      const stale2 = await t.run()
      expect(await bodyText(stale1)).toBe('v1')
      expect(await bodyText(stale2)).toBe('v1')
      expect(stale1.headers['cache-status']).toBe('brisk; hit; ttl=-5; detail=stale-while-revalidate')
      expect(t.calls).toBe(2)
      release()
      expect(await bodyText(await refreshing)).toBe('v2')
      const fresh = await t.run()
      expect(await bodyText(fresh)).toBe('v2')
      expect(fresh.headers['cache-status']).toBe('brisk; hit; ttl=10')
      expect(t.metrics.get('cache.stale')).toBe(2)
      expect(t.calls).toBe(2)
    })

    it('answers every request stale at once and refreshes once in the background when the adapter can', async () => {
      const swr = { 'cache-control': 'max-age=10, stale-while-revalidate=30', etag: '"v1"' }
      const t = setup({}, () => ok('v1', swr))
      await t.run()
      t.clock.advance(15_000)
      const refreshes: Array<() => void> = []
      const withRefresh = (): BriskRequest => ({
        ...request(),
        // What an adapter does: send a copy through the whole app, where this cache sees it as a refresh.
        refresh: () =>
          new Promise<void>((done) => {
            refreshes.push(() => {
              void t.run(request('/page', {}, 'GET', { refresh: true })).then(() => done())
            })
          }),
      })
      const first = await t.run(withRefresh())
      const second = await t.run(withRefresh())
      expect(await bodyText(first)).toBe('v1')
      expect(await bodyText(second)).toBe('v1')
      expect(first.headers['cache-status']).toBe('brisk; hit; ttl=-5; detail=stale-while-revalidate')
      expect(refreshes).toHaveLength(1)
      expect(t.calls).toBe(1)
      expect(t.metrics.get('cache.refresh')).toBe(1)

      // The refresh asks the app conditionally with the stored validators; a new body replaces v1.
      t.setHandler(() => ok('v2', { ...swr, etag: '"v2"' }))
      const stored = new Promise<void>((resolve) =>
        t.metrics.subscribe((name) => name === 'cache.store' && resolve()),
      )
      refreshes[0]!()
      await stored
      expect(t.seen[1]!.headers['if-none-match']).toBe('"v1"')
      const fresh = await t.run(withRefresh())
      expect(await bodyText(fresh)).toBe('v2')
      expect(fresh.headers['cache-status']).toBe('brisk; hit; ttl=10')
      expect(refreshes).toHaveLength(1)
    })

    it("asks the app for the full response on a miss and answers the client's precondition itself", async () => {
      const t = setup({}, () => ok('page', { 'cache-control': 'max-age=60', etag: '"p1"' }))
      const notModified = await t.run(request('/page', { 'if-none-match': '"p1"' }))
      expect(t.seen[0]!.headers['if-none-match']).toBeUndefined()
      expect(notModified.status).toBe(304)
      expect(notModified.headers.etag).toBe('"p1"')
      expect(notModified.headers['cache-status']).toBe('brisk; fwd=uri-miss; stored')
      const hit = await t.run()
      expect(hit.status).toBe(200)
      expect(await bodyText(hit)).toBe('page')
      expect(t.calls).toBe(1)
      const other = await t.run(request('/other', { 'if-none-match': '"elsewhere"' }))
      expect(other.status).toBe(200)
      expect(await bodyText(other)).toBe('page')
    })

    it("still answers the client's precondition with 304 when the app's answer is not stored", async () => {
      const t = setup({}, () => ok('mine', { 'cache-control': 'private', etag: '"m1"' }))
      const res = await t.run(request('/page', { 'if-none-match': '"m1"' }))
      expect(res.status).toBe(304)
      expect(res.body).toBeNull()
      expect(res.headers.etag).toBe('"m1"')
    })

    it('drops the stale entry when its refresh may no longer be stored', async () => {
      const t = setup({}, () => ok('v1', { 'cache-control': 'max-age=10, stale-while-revalidate=3600' }))
      await t.run()
      t.clock.advance(20_000)
      t.setHandler(() => ok('taken down', { 'cache-control': 'no-store' }))
      const deleted = new Promise<void>((resolve) => {
        const original = t.store.delete.bind(t.store)
        t.store.delete = async (key: string) => {
          await original(key)
          resolve()
        }
      })
      await t.run(request('/page', {}, 'GET', { refresh: true }))
      await deleted
      expect(await bodyText(await t.run())).toBe('taken down')
    })

    it('never answers its own refresh from the store, even while the entry is fresh', async () => {
      const t = setup()
      await t.run()
      t.setHandler(() => ok('newer', { 'cache-control': 'max-age=60' }))
      const refreshed = await t.run(request('/page', {}, 'GET', { refresh: true }))
      expect(await bodyText(refreshed)).toBe('newer')
      expect(t.calls).toBe(2)
      expect(await bodyText(await t.run())).toBe('newer')
    })

    it('uses the staleWhileRevalidate option when the response has no such directive', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const t = setup({ staleWhileRevalidate: '30s' })
      await t.run()
      t.clock.advance(70_000)
      t.setHandler(async () => {
        await gate
        return ok('new', { 'cache-control': 'max-age=60' })
      })
      const refreshing = t.run()
      await new Promise((resolve) => setImmediate(resolve))
      const res = await t.run()
      expect(res.headers['cache-status']).toBe('brisk; hit; ttl=-10; detail=stale-while-revalidate')
      release()
      await refreshing
    })

    it('serves stale when the app throws within stale-if-error, and logs the error it stands in for', async () => {
      const logged: { err?: unknown }[] = []
      const log = (entry: { err?: unknown }) => void logged.push(entry)
      const logger = { error: log, warn: log, info: () => {}, debug: () => {} }
      const t = setup({ logger }, () => ok('v1', { 'cache-control': 'max-age=10, stale-if-error=60' }))
      await t.run()
      t.clock.advance(20_000)
      t.setHandler(() => {
        throw new Error('database down')
      })
      const res = await t.run()
      expect(await bodyText(res)).toBe('v1')
      // As where the framework turns the throw into a 500 (Express, front mode).
      expect(res.headers['cache-status']).toBe('brisk; hit; fwd-status=500; ttl=-10; detail=stale-if-error')
      expect(logged).toHaveLength(1)
      expect((logged[0]?.err as Error).message).toBe('database down')
    })

    it.each([
      ['answers 503', () => ok('oops', {}, 503)],
      [
        'throws',
        () => {
          throw new Error('down')
        },
      ],
    ])(
      'keeps the entry for stale-if-error when the app %s to a background refresh',
      async (_label, failing) => {
        const t = setup({}, () =>
          ok('v1', { 'cache-control': 'max-age=10, stale-while-revalidate=5, stale-if-error=60' }),
        )
        await t.run()
        t.clock.advance(12_000)
        t.setHandler(failing)
        const refreshed = await t.run(request('/page', {}, 'GET', { refresh: true }))
        expect(await bodyText(refreshed)).toBe('v1')
        // Past the stale-while-revalidate window the entry still answers: the app is failing.
        t.clock.advance(10_000)
        const later = await t.run()
        expect(await bodyText(later)).toBe('v1')
        expect(later.headers['cache-status']).toMatch(/detail=stale-if-error$/)
      },
    )

    it('serves stale when the app answers 5xx within stale-if-error', async () => {
      const t = setup({ staleIfError: '1m' })
      await t.run()
      t.clock.advance(70_000)
      t.setHandler(() => ok('oops', {}, 503))
      const res = await t.run()
      expect(res.status).toBe(200)
      expect(await bodyText(res)).toBe('hello')
      expect(res.headers['cache-status']).toBe('brisk; hit; fwd-status=503; ttl=-10; detail=stale-if-error')
    })

    it('passes the error on once stale-if-error has run out', async () => {
      const t = setup({ staleIfError: '5s' })
      await t.run()
      t.clock.advance(70_000)
      t.setHandler(() => {
        throw new Error('down')
      })
      await expect(t.run()).rejects.toThrow('down')
    })

    it('never serves a must-revalidate response stale', async () => {
      const t = setup({ staleIfError: '1h', staleWhileRevalidate: '1h' }, () =>
        ok('v1', { 'cache-control': 'max-age=10, must-revalidate' }),
      )
      await t.run()
      t.clock.advance(20_000)
      t.setHandler(() => ok('down', {}, 500))
      const res = await t.run()
      expect(res.status).toBe(500)
    })
  })

  describe('request coalescing', () => {
    it('calls the app once for 200 concurrent misses of one URL', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const t = setup({}, async () => {
        await gate
        return ok('shared', { 'cache-control': 'max-age=60' })
      })
      const pending = Array.from({ length: 200 }, () => t.run())
      await new Promise((resolve) => setImmediate(resolve))
      release()
      const responses = await Promise.all(pending)
      expect(t.calls).toBe(1)
      for (const res of responses) expect(await bodyText(res)).toBe('shared')
      expect(
        responses.filter((res) => res.headers['cache-status'] === 'brisk; fwd=uri-miss; collapsed'),
      ).toHaveLength(199)
      expect(t.metrics.get('cache.coalesced')).toBe(199)
    })

    it('hands waiters a streamed response once it has ended', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const t = setup({}, async () => {
        await gate
        return {
          status: 200,
          headers: { 'cache-control': 'max-age=60' },
          body: Readable.from([Buffer.from('one '), Buffer.from('two')]),
        }
      })
      const pending = Array.from({ length: 20 }, () => t.run())
      await new Promise((resolve) => setImmediate(resolve))
      release()
      const bodies = await Promise.all(pending.map(async (res) => bodyText(await res)))
      expect(bodies.every((body) => body === 'one two')).toBe(true)
      expect(t.calls).toBe(1)
    })

    it('revalidates a stale entry once for concurrent requests', async () => {
      const t = setup({}, () => ok('v1', { 'cache-control': 'max-age=10', etag: '"v1"' }))
      await t.run()
      t.clock.advance(20_000)
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      t.setHandler(async () => {
        await gate
        return ok('v2', { 'cache-control': 'max-age=10', etag: '"v2"' })
      })
      const pending = Array.from({ length: 10 }, () => t.run())
      await new Promise((resolve) => setImmediate(resolve))
      release()
      const bodies = await Promise.all(pending.map(async (res) => bodyText(await res)))
      expect(bodies.every((body) => body === 'v2')).toBe(true)
      expect(t.calls).toBe(2)
    })

    it('lets waiters call the app themselves when the first response cannot be stored', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const t = setup({}, async () => {
        await gate
        return ok('private', { 'cache-control': 'private' })
      })
      const pending = Array.from({ length: 3 }, () => t.run())
      await new Promise((resolve) => setImmediate(resolve))
      release()
      await Promise.all(pending)
      expect(t.calls).toBe(3)
    })

    it('sends waiters to the app after the coalesce timeout', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      let call = 0
      const t = setup({ coalesce: 20 }, async () => {
        call++
        if (call === 1) await gate
        return ok(`call ${call}`, { 'cache-control': 'max-age=60' })
      })
      const leader = t.run()
      await new Promise((resolve) => setImmediate(resolve))
      const waiter = await t.run()
      expect(await bodyText(waiter)).toBe('call 2')
      release()
      await leader
    })

    it('does not hand a waiter a variant made for another Accept-Language', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => {
        release = resolve
      })
      const t = setup({}, async (req) => {
        await gate
        return ok(String(req.headers['accept-language']), {
          'cache-control': 'max-age=60',
          vary: 'Accept-Language',
        })
      })
      const en = t.run(request('/page', { 'accept-language': 'en' }))
      const fr = t.run(request('/page', { 'accept-language': 'fr' }))
      await new Promise((resolve) => setImmediate(resolve))
      release()
      expect(await bodyText(await en)).toBe('en')
      expect(await bodyText(await fr)).toBe('fr')
    })
  })

  describe('route hints', () => {
    it('stores for the lifetime the route declared with cacheFor', async () => {
      const t = setup({}, () => ok('x'))
      await t.run(request('/page', {}, 'GET', { cacheFor: { ttl: 120_000 } }))
      t.clock.advance(100_000)
      const res = await t.run()
      expect(res.headers['cache-status']).toBe('brisk; hit; ttl=20')
    })

    it('never stores a route declared private', async () => {
      const t = setup({ ttl: '1m' }, () => ok('x'))
      const res = await t.run(request('/page', {}, 'GET', { cacheFor: { ttl: 60_000, private: true } }))
      expect(res.headers['cache-status']).toBe('brisk; fwd=uri-miss; detail=private')
    })
  })

  describe('purging', () => {
    it('purges by tag from the tags header, Surrogate-Key and route hints, and hides the headers', async () => {
      const t = setup({}, (req) =>
        req.url === '/a'
          ? ok('a', { 'cache-control': 'max-age=60', 'cache-tag': 'post:1, list' })
          : req.url === '/b'
            ? ok('b', { 'cache-control': 'max-age=60', 'surrogate-key': 'post:1 other' })
            : ok('c', { 'cache-control': 'max-age=60' }),
      )
      const a = await t.run(request('/a'))
      expect(a.headers['cache-tag']).toBeUndefined()
      expect((await t.run(request('/b'))).headers['surrogate-key']).toBeUndefined()
      await t.run(request('/c', {}, 'GET', { tags: new Set(['post:1']) }))
      await t.run(request('/d'))
      const removed = await t.mw.purgeTag('post:1')
      expect(removed).toBe(3)
      for (const url of ['/a', '/b', '/c', '/d']) await t.run(request(url))
      expect(t.calls).toBe(7)
      expect((await t.run(request('/a'))).headers['cache-tag']).toBeUndefined()
    })

    it('purges every variant of a tagged response by tag', async () => {
      const t = setup({}, (req) =>
        ok(String(req.headers['accept-language']), {
          'cache-control': 'max-age=60',
          vary: 'Accept-Language',
          'cache-tag': 'page',
        }),
      )
      await t.run(request('/v', { 'accept-language': 'en' }))
      await t.run(request('/v', { 'accept-language': 'fr' }))
      expect(await t.mw.purgeTag('page')).toBe(2)
      await t.run(request('/v', { 'accept-language': 'en' }))
      await t.run(request('/v', { 'accept-language': 'fr' }))
      expect(t.calls).toBe(4)
    })

    it('purges by URL, by key and everything', async () => {
      const t = setup()
      for (const url of ['/1', '/2', '/3']) await t.run(request(url))
      await t.mw.purgeUrl('/1')
      await t.mw.purgeKey('GET /2')
      await t.run(request('/1'))
      await t.run(request('/2'))
      await t.run(request('/3'))
      expect(t.calls).toBe(5)
      await t.mw.purgeAll()
      await t.run(request('/3'))
      expect(t.calls).toBe(6)
      expect(t.metrics.get('cache.purge')).toBe(3)
    })
  })

  describe('store faults', () => {
    const failing: CacheStore = {
      name: 'failing',
      get: () => Promise.reject(new BackendUnavailableError('failing', 'timeout')),
      set: () => Promise.reject(new BackendUnavailableError('failing', 'timeout')),
      delete: () => Promise.reject(new BackendUnavailableError('failing', 'timeout')),
      deleteByTag: () => Promise.reject(new BackendUnavailableError('failing', 'timeout')),
      clear: () => Promise.reject(new BackendUnavailableError('failing', 'timeout')),
    }

    it('bypasses a failing store and still answers from the app', async () => {
      const t = setup({ store: failing })
      const res = await t.run()
      expect(res.status).toBe(200)
      expect(await bodyText(res)).toBe('hello')
      expect(res.headers['cache-status']).toBe('brisk; fwd=bypass; detail=store-unavailable')
    })

    it('still lets concurrent identical requests share one app call while the store is down', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      const t = setup({ store: failing }, async (req) => {
        await gate
        return ok(`lang ${String(req.headers['accept-language'])}`, {
          'cache-control': 'max-age=60',
          vary: 'Accept-Language',
        })
      })
      const en = Array.from({ length: 20 }, () => t.run(request('/page', { 'accept-language': 'en' })))
      const fr = t.run(request('/page', { 'accept-language': 'fr' }))
      release()
      const answers = await Promise.all([...en, fr])
      expect(await Promise.all(answers.map(bodyText))).toEqual([...en.map(() => 'lang en'), 'lang fr'])
      // One call for en, and fr (another variant) refused the en answer and went itself.
      expect(t.calls).toBe(2)
      expect(answers[0]?.headers['cache-status']).toBe('brisk; fwd=bypass; detail=store-unavailable')
      expect(answers[1]?.headers['cache-status']).toBe(
        'brisk; fwd=bypass; collapsed; detail=store-unavailable',
      )
      expect(t.metrics.get('cache.coalesced')).toBe(19)
    })

    it('does not share an answer the cache would not have stored while the store is down', async () => {
      let release: () => void = () => {}
      const gate = new Promise<void>((resolve) => (release = resolve))
      let n = 0
      const t = setup({ store: failing }, async () => {
        await gate
        return ok(`visit ${++n}`, { 'cache-control': 'max-age=60', 'set-cookie': `n=${n}` })
      })
      const pending = Array.from({ length: 3 }, () => t.run())
      release()
      expect(await Promise.all((await Promise.all(pending)).map(bodyText))).toEqual([
        'visit 1',
        'visit 2',
        'visit 3',
      ])
    })

    it('answers a successful POST even when invalidation fails', async () => {
      const t = setup({ store: failing }, () => ok('created', {}, 201))
      expect((await t.run(request('/page', {}, 'POST'))).status).toBe(201)
    })

    it('answers from the app when only the store write fails', async () => {
      const store = memoryStore()
      const writeFails: CacheStore = {
        ...store,
        name: 'half',
        get: (key) => store.get(key),
        set: () => Promise.reject(new Error('full')),
      }
      const t = setup({ store: writeFails })
      const res = await t.run()
      expect(await bodyText(res)).toBe('hello')
    })
  })

  describe('hostile input', () => {
    it('answers any mix of odd request and response headers without throwing', async () => {
      const value = fc.oneof(
        fc.string({ maxLength: 200 }),
        fc.constantFrom(
          'max-age=60',
          'no-cache',
          'max-age=0',
          'only-if-cached',
          'max-stale',
          'public, s-maxage=5',
        ),
      )
      await fc.assert(
        fc.asyncProperty(
          fc.record({ cc: value, ae: value, cookie: value, inm: value, ims: value }),
          fc.record({ cc: value, vary: value, etag: value, tag: value, expires: value }),
          async (reqHeaders, resHeaders) => {
            const t = setup({ sessionCookies: ['sid'], ttl: '1m' }, () =>
              ok('x', {
                'cache-control': resHeaders.cc,
                vary: resHeaders.vary,
                etag: resHeaders.etag,
                'cache-tag': resHeaders.tag,
                expires: resHeaders.expires,
              }),
            )
            const headers = {
              'cache-control': reqHeaders.cc,
              'accept-encoding': reqHeaders.ae,
              cookie: reqHeaders.cookie,
              'if-none-match': reqHeaders.inm,
              'if-modified-since': reqHeaders.ims,
            }
            for (let i = 0; i < 2; i++) {
              const res = await t.run(request('/p?b=1&a=2', headers))
              expect([200, 304, 504]).toContain(res.status)
              expect(res.headers['cache-status']).toMatch(/^brisk(; [a-z-]+(=[^;]+)?)*$/)
            }
          },
        ),
        { numRuns: 150 },
      )
    })
  })

  describe('options', () => {
    const bad: Array<[CacheOptions, string]> = [
      [{ ttl: '5 parsecs' }, 'ttl'],
      [{ maxBodySize: -1 }, 'maxBodySize'],
      [{ coalesce: 0 }, 'coalesce'],
      [{ query: { only: ['a'] } as never }, 'query'],
      [{ sessionCookies: 'sid' as never }, 'sessionCookies'],
      [{ tagsHeader: 'not a header' }, 'tagsHeader'],
      [{ methods: ['GET'] }, 'methods'],
      [{ key: 'url' as never }, 'key'],
      [{ store: {} as never }, 'store'],
      [{ staleIfError: 'soon' }, 'staleIfError'],
      [{ ttl: 1e20 }, 'ttl'], // Redis would refuse every write's expiry
      [{ coalesce: '30d' }, 'coalesce'], // a timer Node cannot keep fires at once
      [{ logger: 'x' as never }, 'logger'],
    ]
    it.each(bad)('rejects %o at creation, naming %s', (options, option) => {
      let error: unknown
      try {
        cache({ logger: false, ...options })
      } catch (caught) {
        error = caught
      }
      expect(error).toBeInstanceOf(BriskOptionError)
      expect((error as BriskOptionError).option).toBe(option)
    })

    it('returns a middleware with the purge API', () => {
      const mw: ResponseCache = cache({ logger: false })
      expect(typeof mw).toBe('function')
      expect(mw.store.name).toBe('memory')
    })
  })
})
